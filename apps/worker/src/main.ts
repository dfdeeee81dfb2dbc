import 'reflect-metadata';
import { runProcess } from '@app/observability';
import { startWorker } from './worker.bootstrap';

runProcess('worker', startWorker);

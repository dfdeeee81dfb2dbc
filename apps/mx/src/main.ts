import 'reflect-metadata';
import { runProcess } from '@app/observability';
import { startMx } from './mx.bootstrap';

runProcess('mx', startMx);

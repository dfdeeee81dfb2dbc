import 'reflect-metadata';
import { runProcess } from '@app/observability';
import { startApi } from './api.bootstrap';

runProcess('api', startApi);

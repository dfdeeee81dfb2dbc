import 'reflect-metadata';
import { runProcess } from '@app/observability';
import { startWebmail } from './webmail.bootstrap';

runProcess('webmail', startWebmail);

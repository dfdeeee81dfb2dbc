import { Global, Module } from '@nestjs/common';
import { TransitionEffectRegistry } from './transition-effects';

@Global()
@Module({ providers: [TransitionEffectRegistry], exports: [TransitionEffectRegistry] })
export class ContinuityModule {}

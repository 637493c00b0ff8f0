// Dropout layer: inverted dropout in training mode, identity in evaluation mode, as
// torch.nn.Dropout. The functional form is dropout() in functional.ts.
import type { Tensor } from '../tensor';
import { checkProbability, dropout } from './functional';
import { Module } from './module';

/**
 * Zeroes each element with probability p in training mode and scales the rest by
 * 1 / (1 - p); the identity after eval(). The mask comes from the seeded generator.
 * Shape: any -> same.
 * @example const drop = new Dropout(0.2); drop.eval(); drop.forward(x) === x
 */
export class Dropout extends Module {
  readonly p: number;

  constructor(p = 0.5) {
    super();
    this.p = checkProbability('Dropout', p);
  }

  resetParameters(): void {}

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

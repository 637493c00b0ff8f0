// Parameter: a Tensor that a Module registers as trainable state. A plain subclass, so every
// op accepts it; ops return ordinary Tensors.
import { formatShape } from '../shape';
import { Tensor } from '../tensor';

/**
 * A leaf tensor that requires grad (by default) and that a Module picks up as a parameter, as
 * torch.nn.Parameter. Shares storage with the tensor it wraps (no copy).
 * @param data a float32 tensor; its storage becomes the parameter's storage
 * @param requiresGrad default true; false for frozen parameters
 * @throws TypeError when data is not a Tensor, or requiresGrad is set on a non-float32 tensor
 * @example const w = new Parameter(zeros([4, 3])); // w.requiresGrad === true
 */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    if (!(data instanceof Tensor)) {
      throw new TypeError(`Parameter: data must be a Tensor, got ${data === null ? 'null' : typeof data}`);
    }
    if (requiresGrad && data.dtype !== 'float32') {
      throw new TypeError(
        `Parameter: data must be float32 to require grad, got ${data.dtype} of shape ${formatShape(data.shape)}`,
      );
    }
    super(data.data, data.shape, requiresGrad);
  }
}

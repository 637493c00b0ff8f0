// Public exports of lib/io: the safetensors reader and writer.
export { serialize, deserialize, saveFile, loadFile, save, load } from './safetensors';
export type { SafetensorsContent, SafetensorsDType, SaveOptions } from './safetensors';

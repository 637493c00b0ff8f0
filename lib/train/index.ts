// Public exports of lib/train (filled in by issue 4).
export {};

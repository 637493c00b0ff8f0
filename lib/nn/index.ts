// Public exports of lib/nn (filled in by issue 4).
export {};

// Public exports of lib/optim (filled in by issue 4).
export {};

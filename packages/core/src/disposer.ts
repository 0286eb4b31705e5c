/** Releases a subscription, timer or resource; calling it twice is harmless. */
export type Disposer = () => void;

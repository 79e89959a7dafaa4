// vite's `?worker&inline` import: a Worker constructor whose script is inlined in the bundle (blob: URL).
declare module '*?worker&inline' {
  const WorkerConstructor: new (options?: { name?: string }) => Worker;
  export default WorkerConstructor;
}

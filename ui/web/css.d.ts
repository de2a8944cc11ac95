// esbuild bundles imported CSS into one stylesheet per page (see build.ts).
declare module '*.css';

/** The web app's pages: one esbuild entry and one HTML file each, served by ui/static.ts. */
export interface WebPage {
  /** Entry name; also the HTML file name (`<name>.html`) and the asset prefix. */
  name: 'index' | 'display' | 'review' | 'admin';
  title: string;
  /** Entry module, relative to ui/web. */
  entry: string;
  /** Class on <body>, for page-wide styling (the wall display is dark and full-screen). */
  bodyClass: string;
}

export const PAGES: readonly WebPage[] = [
  { name: 'index', title: 'orsight', entry: 'index/main.tsx', bodyClass: 'page-index' },
  { name: 'display', title: 'orsight · wall display', entry: 'display/main.tsx', bodyClass: 'page-display' },
  { name: 'review', title: 'orsight · review', entry: 'review/main.tsx', bodyClass: 'page-review' },
  { name: 'admin', title: 'orsight · admin', entry: 'admin/main.tsx', bodyClass: 'page-admin' },
];

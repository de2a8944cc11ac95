export { HttpPart, type HttpPartOptions, type RoutePlugin } from './http-part.js';

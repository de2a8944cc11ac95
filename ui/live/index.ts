export { LiveHub, type LiveHubOptions } from './live-hub.js';
export { liveRoute } from './live-route.js';

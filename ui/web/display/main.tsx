import { render } from 'preact';
import { LiveClient, wsUrl } from '../shared/live-client.js';
import { DisplayApp } from './display-app.js';
import { takeDisplayToken } from './display-token.js';
import './display.css';

const token = takeDisplayToken();
const root = document.getElementById('app')!;
const client = new LiveClient({
  url: wsUrl('/api/live', token ? { token } : {}),
  onChange: (view) => render(<DisplayApp view={view} clock={client.clock} paired={token !== null} />, root),
});
render(<DisplayApp view={client.current} clock={client.clock} paired={token !== null} />, root);
client.start();

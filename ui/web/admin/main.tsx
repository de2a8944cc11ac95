import { render } from 'preact';
import { AdminApp } from './admin-app.js';
import '../shared/base.css';
import './admin.css';

render(<AdminApp />, document.getElementById('app')!);

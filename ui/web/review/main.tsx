import { render } from 'preact';
import { ReviewApp } from './review-app.js';
import '../shared/base.css';
import './review.css';

render(<ReviewApp />, document.getElementById('app')!);

// The API app alone, as the Workers test pool runs it (pages need the Astro
// build and are tested against `wrangler dev` in test/pages).
import { createApp } from '../../worker/app';

export default createApp();

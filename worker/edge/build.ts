/**
 * @module
 * Which build is running: Astro's build (astro.config.mjs) names itself, and
 * the edge cache's keys carry the name, so pages cached by the previous
 * deploy (linking its stylesheet) are never served by this one.
 */
declare const __GUICHET_BUILD__: string | undefined;

/** The build's name; `dev` where no build named it (the Workers test pool). */
export const BUILD_ID: string = typeof __GUICHET_BUILD__ === 'string' ? __GUICHET_BUILD__ : 'dev';

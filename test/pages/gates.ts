/**
 * The sobriety gates every page must pass, as small reusable checks, and
 * how the page tests fetch a page as its reader gets it (with their
 * cookie when signed in) together with the stylesheets it links.
 * @module
 */
import { brotliCompressSync, gzipSync } from 'node:zlib';

/** A page must fit, HTML plus CSS, compressed, in the first round trip of a slow connection. */
export const PAGE_BUDGET_BYTES = 14 * 1024;

export interface FetchedPage {
  status: number;
  html: string;
  headers: Headers;
  stylesheets: string[];
}

/** `path` as its reader gets it, signed in when `cookie` (a `name=value` Cookie header) is given, with every stylesheet it links (each must answer 200). */
export async function fetchPage(baseUrl: string, path: string, cookie?: string): Promise<FetchedPage> {
  const response = await fetch(`${baseUrl}${path}`, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  const html = await response.text();
  const hrefs = [...html.matchAll(/<link[^>]*rel="stylesheet"[^>]*>/g)].map((m) => /href="([^"]+)"/.exec(m[0])?.[1] ?? '');
  const stylesheets = await Promise.all(
    hrefs.map(async (href) => {
      const css = await fetch(new URL(href, baseUrl));
      if (css.status !== 200) throw new Error(`stylesheet ${href} answered ${css.status}`);
      return css.text();
    }),
  );
  return { status: response.status, html, headers: response.headers, stylesheets };
}

/** Compressed size of the HTML and every stylesheet it links. */
export function compressedWeight(page: FetchedPage): number {
  return [page.html, ...page.stylesheets].reduce((sum, text) => sum + gzipSync(text).length, 0);
}

/** Compressed sizes of the HTML and every stylesheet it links, gzip and brotli (Node's default levels). */
export function compressedWeights(page: FetchedPage): { gzip: number; brotli: number } {
  const texts = [page.html, ...page.stylesheets];
  return {
    gzip: texts.reduce((sum, text) => sum + gzipSync(text).length, 0),
    brotli: texts.reduce((sum, text) => sum + brotliCompressSync(text).length, 0),
  };
}

/** `<script>` elements that run code (JSON-LD is data and is allowed). */
export function executableScripts(html: string): string[] {
  return [...html.matchAll(/<script\b([^>]*)>/gi)]
    .filter((m) => !/type="application\/ld\+json"/i.test(m[1]))
    .map((m) => m[0]);
}

/** URLs the browser would fetch by itself (not links a person may follow). */
export function subresources(html: string, css: string[]): string[] {
  const fromHtml = [
    ...[...html.matchAll(/<(?:img|script|iframe|source|audio|video|embed)\b[^>]*\bsrc="([^"]+)"/gi)].map((m) => m[1]),
    ...[...html.matchAll(/<link\b[^>]*>/gi)]
      .filter((m) => !/rel="canonical"/i.test(m[0]))
      .map((m) => /href="([^"]+)"/.exec(m[0])?.[1] ?? ''),
  ];
  const fromCss = css.flatMap((text) => [...text.matchAll(/url\(\s*['"]?([^'")]+)/g)].map((m) => m[1]));
  return [...fromHtml, ...fromCss];
}

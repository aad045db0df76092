/**
 * @module
 * Reading a posted HTML form without trusting it: a body that is not a form
 * (JSON, broken multipart) gives no fields instead of an exception.
 */
export async function formFields(request: Request): Promise<Record<string, string> | undefined> {
  try {
    const form = await request.formData();
    return Object.fromEntries([...form.entries()].map(([key, value]) => [key, typeof value === 'string' ? value : '']));
  } catch {
    return undefined;
  }
}

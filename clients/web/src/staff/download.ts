/** Files the staff screens hand to the browser to save. */

/** Hand a downloaded file to the browser to save as `name` (its object URL is let go
 * `keepMs` later). */
export function saveFile(blob: Blob, name: string, keepMs = 10_000): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), keepMs);
}

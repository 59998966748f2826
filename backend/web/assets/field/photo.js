// A photo taken for a quality check, made small on the phone: drawn on a canvas no larger than
// MAX_SIDE (which also drops EXIF, GPS included) and encoded as JPEG. Its SHA-256 is what
// the event document will state; the bytes travel in the sealed entry until they are sent.

const MAX_SIDE = 1600;
const QUALITY = 0.8;

export async function resizePhoto(file) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  canvas.getContext("2d").drawImage(bitmap, 0, 0, width, height);
  bitmap.close?.();
  const blob = await new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("cannot encode the photo"))), "image/jpeg", QUALITY),
  );
  const bytes = new Uint8Array(await blob.arrayBuffer());
  return { type: "image/jpeg", bytes, sha256: await sha256Hex(bytes), width, height };
}

export async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Bytes ↔ base64, to keep the photo inside the sealed JSON payload. */
export function toBase64(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

export function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

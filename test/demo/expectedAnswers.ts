// The answers the demo's embedded servers stream for the default prompt ("Why is the sky blue?"),
// written out here, independently of demo/answers.ts, so that a token lost or garbled anywhere
// between the servers, the sources, mergeTracks, the SSE encoding and the page shows up.

export const localAnswer =
  'The sky looks blue because of Rayleigh scattering. Sunlight contains every color, and when it passes ' +
  'through the atmosphere the short blue wavelengths are scattered by the nitrogen and oxygen molecules ' +
  'much more than the longer red ones. That scattered blue light reaches your eyes from every direction, ' +
  'so the whole sky appears blue. At sunrise and sunset the light travels through more air, most of the ' +
  'blue is scattered away, and the sky turns orange and red.';

export const cloudAnswer =
  'The sky is blue because of **Rayleigh scattering**.\n\n' +
  '1. Sunlight is a mix of all visible wavelengths, from violet (about 400 nm) to red (about 700 nm).\n' +
  '2. Air molecules are much smaller than those wavelengths, and they scatter light with an intensity ' +
  'proportional to 1/λ⁴, so blue light is scattered roughly five times more than red.\n' +
  '3. That scattered light reaches you from every part of the sky, which is why the sky as a whole looks ' +
  'blue rather than only the area around the Sun.\n\n' +
  'Why not violet, then? The Sun emits less violet than blue, some violet is absorbed high in the ' +
  'atmosphere, and our eyes are far more sensitive to blue. At sunrise and sunset the light crosses much ' +
  'more air, the blue is scattered out before it reaches you, and the reds and oranges remain.';

/** Whitespace-insensitive form, for output that the terminal demo word-wraps. */
export const squash = (text: string): string => text.replace(/\s+/g, ' ').trim();

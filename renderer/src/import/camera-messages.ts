/**
 * What the webcam scanner (CameraScanner.tsx) says when the camera cannot be used: plain sentences with
 * what to do, never the browser's raw DOMException text. Plain functions, so unit tests need no camera.
 */

const AGAIN = 'then choose “Start the camera again” below.';

/**
 * What a getUserMedia refusal means for the person at the camera (review-15d L5: the screen showed the
 * browser's raw “Permission denied”). By the DOMException's name (Media Capture and Streams §
 * getUserMedia: NotAllowedError, NotFoundError, NotReadableError, OverconstrainedError, AbortError).
 */
export function cameraRefusalSentence(err: unknown): string {
  // A DOMException (not always `instanceof Error` across realms): read its name as data.
  const name = typeof err === 'object' && err !== null && typeof (err as { name?: unknown }).name === 'string' ? (err as { name: string }).name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return `The camera was refused: allow this app to use the camera in the system’s privacy settings, ${AGAIN}`;
    case 'NotFoundError':
    case 'OverconstrainedError':
      return `No camera was found: connect a webcam, ${AGAIN}`;
    case 'NotReadableError':
    case 'AbortError':
      return `The camera is busy or could not be started: close any other program using it (or plug it in again), ${AGAIN}`;
    default:
      return `The camera could not be opened${name ? ` (${name})` : ''}: check that a webcam is connected and allowed, ${AGAIN}`;
  }
}

/** The camera's stream ended mid-scan (review-15d L2): the frames read so far went with the scan. */
export const CAMERA_ENDED = `The camera stopped (unplugged, or taken by another program), so reading stopped. Reading starts from the beginning when the camera starts again: connect it, ${AGAIN}`;

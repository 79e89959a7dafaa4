/**
 * review-15d L5, L2: what the webcam scanner says when the camera is refused or its stream ends — a plain
 * sentence with what to do, never the browser's raw DOMException text.
 */
import { describe, expect, it } from 'vitest';
import { CAMERA_ENDED, cameraRefusalSentence } from '../../../renderer/src/import/camera-messages.js';
import { hasCliOrPathText } from '../../../renderer/src/lib/format.js';

/** A DOMException as getUserMedia rejects with (Node has DOMException too). */
const refusal = (name: string) => new DOMException('Permission denied', name);

describe('camera refusal sentences', () => {
  it.each([
    ['NotAllowedError', /^The camera was refused: allow this app to use the camera in the system’s privacy settings/],
    ['SecurityError', /^The camera was refused/],
    ['NotFoundError', /^No camera was found: connect a webcam/],
    ['OverconstrainedError', /^No camera was found/],
    ['NotReadableError', /^The camera is busy or could not be started/],
    ['AbortError', /^The camera is busy/],
    ['TypeError', /^The camera could not be opened \(TypeError\): check that a webcam is connected and allowed/],
  ])('%s', (name, sentence) => {
    const shown = cameraRefusalSentence(refusal(name));
    expect(shown).toMatch(sentence);
    expect(shown).toMatch(/then choose “Start the camera again” below\.$/);
    expect(shown).not.toContain('Permission denied');
    expect(hasCliOrPathText(shown)).toBe(false);
  });

  it('something that is not an error still gets a sentence', () => {
    expect(cameraRefusalSentence('x')).toBe('The camera could not be opened: check that a webcam is connected and allowed, then choose “Start the camera again” below.');
  });

  it('the stream ended: says reading stopped and how to restart', () => {
    expect(CAMERA_ENDED).toMatch(/^The camera stopped .*reading stopped\. Reading starts from the beginning when the camera starts again: connect it, then choose “Start the camera again” below\.$/);
    expect(hasCliOrPathText(CAMERA_ENDED)).toBe(false);
  });
});

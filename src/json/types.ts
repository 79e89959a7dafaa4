/** A JSON value as parsed from untrusted bytes by `parseJsonStrict` (integers only: canonical JSON has no floats). */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

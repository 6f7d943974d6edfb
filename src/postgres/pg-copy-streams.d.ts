// The part of pg-copy-streams cairn uses (the package ships no types).
declare module 'pg-copy-streams' {
  import type { Readable, Writable } from 'node:stream';
  import type { Submittable } from 'pg';

  interface CopyStreams {
    /** `COPY … FROM STDIN`: a stream to write the data into, submitted with client.query(). */
    from(text: string): Writable & Submittable;
    /** `COPY … TO STDOUT`: a stream of the rows' bytes (chunks need not end at a row). */
    to(text: string): Readable & Submittable;
  }
  const streams: CopyStreams;
  export default streams;
}

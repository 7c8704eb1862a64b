/** Types for cluster-key-slot (it ships none): the slot of a key given as text or bytes. */
declare module 'cluster-key-slot' {
  function generate(key: string | Uint8Array): number;
  export default generate;
}

"""Save and load concrete functions as versioned JSON (docs/export.md): `encode.save`
writes the IR, `decode.load` rebuilds and compiles it. A layer above the concrete
function, which it saves and rebuilds."""

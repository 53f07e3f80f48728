"""Control-flow ops, one module each: `cond`, `while_loop` (with its tracing in
`loop_trace`) and `call`, each holding the op, its impl and generated code, its tracing,
VJP, JVP and batching rule; `common` holds what they share. Nothing is imported here, so
low layers can import `control.common` without loading the op modules."""

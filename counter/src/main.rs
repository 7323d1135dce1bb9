//! The `counter` binary: the library of the same name, run by `kit::service::main`.

kit::service_main!(counter::SERVICE);

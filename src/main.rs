//! The `resim` command line: parses arguments, calls the library, prints,
//! and maps the outcome to an exit code (0 ok, 1 run failure, 2 bad input).

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}

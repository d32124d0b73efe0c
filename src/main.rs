use std::process::ExitCode;

fn main() -> ExitCode {
    match fastapi_codemod::cli::main() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("fastapi-codemod: error: {error:#}");
            ExitCode::from(2)
        }
    }
}

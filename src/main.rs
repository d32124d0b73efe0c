use std::process::ExitCode;

fn main() -> ExitCode {
    let catalogue = fastapi_codemod::cli::Catalogue(fastapi_codemod::transforms::ALL);
    match fastapi_codemod::cli::main(catalogue) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("fastapi-codemod: error: {error:#}");
            ExitCode::from(2)
        }
    }
}

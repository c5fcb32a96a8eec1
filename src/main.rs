use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    rolefaq::logging::init_from_env(rolefaq::discord::WIRE_LOG_TARGETS);
    let cli = rolefaq::cli::Cli::parse();
    match rolefaq::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

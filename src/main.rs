use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(rolefaq::discord::cap_secret_leaking_logs(
            tracing_subscriber::EnvFilter::try_from_env("ROLEFAQ_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        ))
        .with_writer(std::io::stderr)
        .init();
    let cli = rolefaq::cli::Cli::parse();
    match rolefaq::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

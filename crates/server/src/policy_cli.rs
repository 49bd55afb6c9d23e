//! `warden policy …`: the offline tools. `validate` checks policy documents as IAM would on
//! upload; `simulate` answers `aws iam simulate-custom-policy` input with its output.

mod input;
mod parameters;

use std::io::{self, Read, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Subcommand, ValueEnum};
use serde::Serialize;
use warden_policy::{Policy, PolicyKind, limits};

#[derive(Debug, Subcommand)]
pub(crate) enum PolicyCommand {
    /// Check policy documents: syntax, grammar and AWS's size limit for their kind.
    ///
    /// Prints `FILE: ok` or `FILE: ERROR` and each error with its place. Exits with 1 when
    /// any file has an error.
    Validate {
        /// Where the documents are used, which decides the rules they must follow.
        #[arg(long, value_enum, default_value_t = Kind::Identity)]
        kind: Kind,
        /// The documents; `-` reads standard input.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<String>,
    },
    /// Simulate policies as `aws iam simulate-custom-policy` does, offline.
    ///
    /// Takes the JSON that command takes with `--cli-input-json` and prints the JSON it
    /// prints. Exits as aws CLI v2 does: 252 for input it cannot read, 254 for an error IAM
    /// would answer (InvalidInput, ValidationError).
    Simulate {
        /// `file://PATH` (or `fileb://PATH`), or the JSON itself.
        #[arg(long = "cli-input-json", value_name = "JSON")]
        cli_input_json: String,
    },
}

/// Policy kinds, by the names users know them by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Kind {
    /// An identity-based policy of a user, group or role (limit of a managed policy).
    Identity,
    /// A resource-based policy, such as a bucket policy.
    Resource,
    /// A role's trust policy.
    Trust,
    /// A permissions boundary.
    Boundary,
    /// A session policy.
    Session,
    /// A service control policy.
    Scp,
    /// A resource control policy.
    Rcp,
}

impl From<Kind> for PolicyKind {
    fn from(kind: Kind) -> PolicyKind {
        match kind {
            Kind::Identity => PolicyKind::Identity,
            Kind::Resource => PolicyKind::Resource,
            Kind::Trust => PolicyKind::Trust,
            Kind::Boundary => PolicyKind::Boundary,
            Kind::Session => PolicyKind::Session,
            Kind::Scp => PolicyKind::ServiceControl,
            Kind::Rcp => PolicyKind::ResourceControl,
        }
    }
}

pub(crate) fn run(command: PolicyCommand) -> anyhow::Result<ExitCode> {
    match command {
        PolicyCommand::Validate { kind, files } => validate(kind.into(), &files),
        PolicyCommand::Simulate { cli_input_json } => simulate(&cli_input_json),
    }
}

fn validate(kind: PolicyKind, files: &[String]) -> anyhow::Result<ExitCode> {
    let mut out = io::stdout().lock();
    let mut failed = false;
    for file in files {
        let (name, errors) = match read_document(file) {
            Ok(text) => (display_name(file), check(&text, kind)),
            Err(error) => (display_name(file), vec![format!("cannot read it: {error}")]),
        };
        if errors.is_empty() {
            writeln!(out, "{name}: ok")?;
        } else {
            failed = true;
            writeln!(out, "{name}: ERROR")?;
            for error in errors {
                writeln!(out, "  error: {error}")?;
            }
        }
    }
    out.flush()?;
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Every reason `text` cannot be a policy of `kind`: the first grammar error (with its
/// place), and the size limit (AWS's LimitExceeded words).
fn check(text: &str, kind: PolicyKind) -> Vec<String> {
    let mut errors = Vec::new();
    if let Err(error) = Policy::parse(text, kind) {
        errors.push(error.to_string());
    }
    let size = limits::size(text);
    let limit = kind.size_limit();
    if size > limit {
        errors.push(format!(
            "Cannot exceed quota for PolicySize: {limit} (the document has {size} characters, whitespace excluded)"
        ));
    }
    errors
}

fn read_document(file: &str) -> io::Result<String> {
    if file == "-" {
        let mut text = String::new();
        io::stdin().lock().read_to_string(&mut text)?;
        Ok(text)
    } else {
        std::fs::read_to_string(file)
    }
}

fn display_name(file: &str) -> &str {
    if file == "-" { "<stdin>" } else { file }
}

fn simulate(argument: &str) -> anyhow::Result<ExitCode> {
    let text = match load_parameter(argument) {
        Ok(text) => text,
        Err(message) => {
            eprintln!("\n{message}");
            return Ok(ExitCode::from(252));
        }
    };
    let request = match input::parse(&text) {
        Ok(request) => request,
        Err(error) => {
            eprintln!("\n{error}");
            return Ok(ExitCode::from(error.exit_status()));
        }
    };
    let response = match request.respond() {
        Ok(response) => response,
        Err(error) => {
            let error = input::InputError::Service {
                code: error.code(),
                message: error.message().to_owned(),
            };
            eprintln!("\n{error}");
            return Ok(ExitCode::from(error.exit_status()));
        }
    };
    let text = to_text(&response).context("cannot write the response as JSON")?;
    let mut out = io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `value` as the aws CLI prints JSON: indented by four spaces, members in the model's order.
fn to_text(value: &impl Serialize) -> serde_json::Result<String> {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    value.serialize(&mut serializer)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// The parameter's text: a `file://` or `fileb://` file's contents, else the text itself, as
/// the aws CLI reads parameters.
fn load_parameter(argument: &str) -> Result<String, String> {
    let Some(path) = argument
        .strip_prefix("file://")
        .or_else(|| argument.strip_prefix("fileb://"))
    else {
        return Ok(argument.to_owned());
    };
    std::fs::read_to_string(path).map_err(|error| {
        format!("Error parsing parameter '--cli-input-json': Unable to load paramfile {argument}: {error}")
    })
}

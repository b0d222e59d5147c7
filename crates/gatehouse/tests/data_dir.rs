//! One gateway per embedded store: a second `serve` on a data directory another one is
//! serving is refused, since each would keep its own copy of the configuration and answer
//! with it; once the first stops, the directory can be served again.

use std::path::Path;

use anyhow::Result;
use gatehouse_testkit::GatewayProcess;

const BINARY: &str = env!("CARGO_BIN_EXE_gatehouse");

#[test]
fn a_second_gateway_on_the_same_data_directory_is_refused_until_the_first_stops() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let first = GatewayProcess::start(Path::new(BINARY), &data)?;

    let error = GatewayProcess::refused(Path::new(BINARY), &data, &[]);
    first.stop()?;
    let third = GatewayProcess::start(Path::new(BINARY), &data)?;
    third.stop()?;

    assert!(error.contains("already serving"), "{error}");
    assert!(error.contains(&data.display().to_string()), "{error}");
    Ok(())
}

//! `crm-server cert`: a small team's own certificate authority and the relay's certificate for its LAN
//! names and addresses, so phones can open the relay over HTTPS (a PWA needs a secure context).
//!
//! The CA is made once and kept in the output folder: running the command again (new names, or a renewal
//! before the relay certificate's 397 days are up) reuses it, so phones that trust it keep trusting. The CA
//! is rebuilt from its key and a fixed subject, which is all an issuer needs.

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
};

use anyhow::Context;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use sha2::{Digest, Sha256};

/// Make a local CA (once) and a certificate for the relay's LAN names and addresses.
#[derive(Clone, Debug, clap::Args)]
pub struct CertArgs {
    /// Names and addresses phones will type, comma-separated (e.g. `crm.local,192.168.1.20`).
    #[arg(long, value_delimiter = ',', required = true)]
    pub names: Vec<String>,
    /// Folder for the files (created if missing; an existing CA in it is reused).
    #[arg(long, default_value = "./tls")]
    pub out: PathBuf,
}

/// Where the files went.
#[derive(Clone, Debug)]
pub struct Issued {
    /// The CA certificate to install and trust on phones (PEM, `.crt` so phones offer to install it).
    pub ca_cert: PathBuf,
    /// The CA's private key: whoever has it can make certificates those phones trust. Keep it safe.
    pub ca_key: PathBuf,
    /// `--tls-cert`: the relay certificate followed by the CA.
    pub relay_cert: PathBuf,
    /// `--tls-key`.
    pub relay_key: PathBuf,
    /// Whether the CA was made now (else an existing one was reused).
    pub new_ca: bool,
    /// SHA-256 of the CA certificate, as phones show it.
    pub ca_fingerprint: String,
}

/// The CA's fixed subject (an issuer is identified by subject and key; reusing the CA rebuilds it).
fn ca_params() -> CertificateParams {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "CRM local CA");
    dn.push(DnType::OrganizationName, "Local-first CRM relay");
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    p
}

fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path).with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(contents.as_bytes()).with_context(|| format!("cannot write {}", path.display()))
}

/// A DNS name (labels of letters, digits and inner hyphens) or an IP address.
fn valid_name(n: &str) -> bool {
    if n.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    n.len() <= 253
        && n.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der).iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

/// Makes (or reuses) the CA in `args.out` and issues the relay certificate for `args.names`, valid from
/// `now` (passed in so tests are deterministic).
pub fn issue(args: &CertArgs, now: time::OffsetDateTime) -> anyhow::Result<Issued> {
    let names: Vec<String> = args.names.iter().map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).collect();
    if names.is_empty() {
        anyhow::bail!("--names: give at least one name or address, e.g. crm.local,192.168.1.20");
    }
    if let Some(bad) = names.iter().find(|n| !valid_name(n)) {
        anyhow::bail!("--names: {bad:?} is neither a host name (letters, digits, '-', dots) nor an IP address");
    }
    fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    let ca_cert_path = args.out.join("crm-ca.crt");
    let ca_key_path = args.out.join("crm-ca-key.pem");

    let mut ca = ca_params();
    let (ca_key, new_ca) = if ca_key_path.exists() && ca_cert_path.exists() {
        let pem = fs::read_to_string(&ca_key_path).with_context(|| format!("cannot read {}", ca_key_path.display()))?;
        (
            KeyPair::from_pem(&pem)
                .with_context(|| format!("{}: not a key this command made", ca_key_path.display()))?,
            false,
        )
    } else {
        (KeyPair::generate().context("generating the CA key")?, true)
    };
    if new_ca {
        // Ten years: phones trust it by hand once; the relay certificate below is what gets renewed.
        ca.not_before = now - time::Duration::days(1);
        ca.not_after = now + time::Duration::days(3650);
        let cert = ca.self_signed(&ca_key).context("signing the CA certificate")?;
        write_private(&ca_key_path, &ca_key.serialize_pem())?;
        fs::write(&ca_cert_path, cert.pem()).with_context(|| format!("cannot write {}", ca_cert_path.display()))?;
    }
    let ca_pem =
        fs::read_to_string(&ca_cert_path).with_context(|| format!("cannot read {}", ca_cert_path.display()))?;
    let ca_der = rustls::pki_types::CertificateDer::from_pem_slice(ca_pem.as_bytes())
        .with_context(|| format!("{}: not a PEM certificate", ca_cert_path.display()))?;
    let issuer = Issuer::new(ca, ca_key);

    let mut leaf = CertificateParams::new(names.clone()).with_context(|| format!("--names: {}", names.join(",")))?;
    leaf.distinguished_name.push(DnType::CommonName, names[0].clone());
    leaf.is_ca = IsCa::ExplicitNoCa;
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.use_authority_key_identifier_extension = true;
    // Apple platforms refuse server certificates valid for more than 398 days.
    leaf.not_before = now - time::Duration::days(1);
    leaf.not_after = now + time::Duration::days(396);
    let leaf_key = KeyPair::generate().context("generating the relay key")?;
    let cert = leaf.signed_by(&leaf_key, &issuer).context("signing the relay certificate")?;

    let relay_cert = args.out.join("relay.pem");
    let relay_key = args.out.join("relay-key.pem");
    fs::write(&relay_cert, format!("{}{}", cert.pem(), ca_pem))
        .with_context(|| format!("cannot write {}", relay_cert.display()))?;
    write_private(&relay_key, &leaf_key.serialize_pem())?;
    Ok(Issued {
        ca_cert: ca_cert_path,
        ca_key: ca_key_path,
        relay_cert,
        relay_key,
        new_ca,
        ca_fingerprint: fingerprint(ca_der.as_ref()),
    })
}

/// Runs the command and prints where the files are and what to do with them.
pub fn run(args: &CertArgs) -> anyhow::Result<()> {
    let issued = issue(args, time::OffsetDateTime::now_utc())?;
    let names = args.names.join(", ");
    println!("Relay certificate for {names} (valid 396 days):");
    println!("  --tls-cert {}", issued.relay_cert.display());
    println!("  --tls-key  {}", issued.relay_key.display());
    println!("{} CA: {}", if issued.new_ca { "New" } else { "Reused" }, issued.ca_cert.display());
    println!("  SHA-256 {}", issued.ca_fingerprint);
    println!("Install and trust {} on every phone and computer that opens the relay", issued.ca_cert.display());
    println!("(iOS: install the profile, then Settings > General > About > Certificate Trust Settings;");
    println!(" Android: Settings > Security > Encryption & credentials > Install a certificate > CA certificate).");
    println!(
        "Keep {} private and off the relay if you can: it can make certificates those devices trust.",
        issued.ca_key.display()
    );
    println!(
        "Start: crm-server --listen 0.0.0.0:8443 --tls-cert {} --tls-key {} --http-redirect-listen 0.0.0.0:8080",
        issued.relay_cert.display(),
        issued.relay_key.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_host_names_or_addresses() {
        for ok in ["crm.local", "192.168.1.20", "fe80::1", "relay-1.office.example", "localhost"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in ["not a name!", "-x.local", "a..b", "crm.local/", "", "https://crm.local"] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}

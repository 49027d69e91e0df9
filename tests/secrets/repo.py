"""Seeded and clean repositories, built in tmp_path at run time. Fake secrets are assembled from
parts so this repository itself never holds one."""

from __future__ import annotations

import base64
import datetime as dt
import subprocess
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID

ALNUM = "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0"


def github_token(prefix: str = "ghp") -> str:
    return prefix + "_" + ALNUM[:36]


def aws_key_id() -> str:
    return "AK" + "IA" + "Z7Q4XW2N6RT8P5M3"


def aws_secret() -> str:
    return "tJ8k" + "Lm2N/pQ9rS3tU+vW5xY7zA1bC4dE6fG0hI2j"


def slack_webhook() -> str:
    return "https://hooks." + "slack.com/services/" + "T01AB2CD3EF/B04GH5IJ6KL/" + ALNUM[:24]


def private_key_pem() -> str:
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def certificate_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sealed-secret")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def sealed_secret(name: str, api: str = "bitnami.com/v1alpha1") -> str:
    # kubeseal ciphertext is base64 starting "Ag" (version 2 of its format).
    cipher = "Ag" + base64.b64encode(bytes(range(256)) * 2).decode()
    return f"""apiVersion: {api}
kind: SealedSecret
metadata:
  name: {name}
  namespace: maestro
spec:
  encryptedData:
    password: {cipher}
    api-token: {cipher[:300]}
  template:
    metadata:
      name: {name}
"""


def git(root: Path, *args: str) -> None:
    subprocess.run(
        [
            "git",
            "-C",
            str(root),
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        check=True,
        capture_output=True,
    )


def write(root: Path, path: str, text: str | bytes) -> Path:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        target.write_bytes(text)
    else:
        target.write_text(text)
    return target


def clean_repo(root: Path) -> Path:
    write(root, "README.md", "# maestro\n\nSet `GITHUB_TOKEN` in CI; tokens look like ghp_xxxx.\n")
    write(
        root,
        "app/main.py",
        'import os\n\nTOKEN = os.environ["GITHUB_TOKEN"]\n'
        'COMMIT = "3f786850e387550fdab836ed7e6dc881de23001b"\n'
        'IMAGE = "ghcr.io/acme/app@sha256:' + "9f" * 32 + '"\n'
        "def login(password: str) -> bool:\n    return check(password=password)\n",
    )
    write(root, "deploy/prod/secrets/api.yaml", sealed_secret("api"))
    write(root, "deploy/prod/kubeseal.pem", certificate_pem())
    write(root, "deploy/stage/secrets/api.yaml", sealed_secret("api"))
    write(root, "deploy/certs/stage.pem", certificate_pem())
    write(
        root,
        "deploy/prod/app.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  LOG_LEVEL: info\n",
    )
    write(
        root,
        ".github/workflows/ci.yml",
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo ${{ secrets.GITHUB_TOKEN }}\n"
        "      - uses: docker/login-action@v3\n        with:\n"
        "          password: ${{ secrets.REGISTRY_PASSWORD }}\n",
    )
    # Things that look like secrets and are not: documented example keys, templated values,
    # a Secret without values (a service-account token request), a local dev database password.
    write(
        root,
        "docs/aws.md",
        "Use `AKIAIOSFODNN7EXAMPLE` and "
        "`wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY` as in AWS's docs.\n"
        'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"\n',
    )
    write(
        root,
        "k8s/app-secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\n"
        "stringData:\n  DATABASE_URL: ${DATABASE_URL_FROM_VAULT}\n",
    )
    write(
        root,
        "deploy/prod/sa-token.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n"
        "  name: ci-token\n  annotations:\n    kubernetes.io/service-account.name: ci\n"
        "type: kubernetes.io/service-account-token\n",
    )
    write(
        root,
        "config/auth.ini",
        "[auth]\nsecret_name = my-app-secret-v2\n"
        "password_file = /etc/secrets/db-password-2\ntoken_url = https://oauth2.test/token\n"
        'API_KEY_HEADER = "X-Api-Key-Header-Name"\nauth_version = 2.1.0-rc1\n'
        "token_sha256 = 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n",
    )
    write(
        root,
        "docs/proxies.md",
        "Use `https://user:password@example.org/` or `http://admin:s3cretpw1@localhost:8080`.\n",
    )
    write(
        root,
        "docker-compose.yml",
        "services:\n  db:\n    image: postgres:16\n"
        "    environment:\n      POSTGRES_PASSWORD: postgres\n",
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "clean")
    return root


PLAIN_SECRET = """apiVersion: v1
kind: Secret
metadata:
  name: db
type: Opaque
data:
  password: {value}
"""


def seeded_repo(root: Path) -> Path:
    """One of each problem; each must be reported exactly once."""
    clean_repo(root)
    write(root, "app/settings.py", f'GITHUB = "{github_token()}"\n')
    write(
        root,
        "scripts/aws.env",
        f"AWS_ACCESS_KEY_ID={aws_key_id()}\nAWS_SECRET_ACCESS_KEY={aws_secret()}\n",
    )
    write(root, "keys/deploy_key", private_key_pem())
    write(
        root, "scripts/db.env", "DATABASE_URL=postgres://app:" + "Zq8rT2mW9kL4x@db.internal/app\n"
    )
    write(
        root,
        "config/payments.ini",
        f'[stripe]\nendpoint = https://api.test\napi_key = "{ALNUM[3:27]}"\n',
    )
    write(root, "scripts/notify.sh", f'curl -X POST "{slack_webhook()}" -d @msg.json\n')
    write(
        root,
        "ops/kubeconfig.yaml",
        f"apiVersion: v1\nkind: Config\nusers:\n- name: ci\n  user:\n    token: {ALNUM}xyz\n",
    )
    value = base64.b64encode(b"Zq8#rT2!mW9@kL4$").decode()
    write(root, "deploy/prod/secrets/db.yaml", PLAIN_SECRET.format(value=value))
    write(
        root,
        "k8s/cache-secret.yaml",
        PLAIN_SECRET.format(value=value).replace("name: db", "name: cache"),
    )
    write(root, "deploy/dev/secrets/api.yaml", sealed_secret("api"))  # no dev certificate
    # Bad input: skipped with a notice.
    write(root, "assets/logo.png", b"\x89PNG\r\n\x1a\n\0\0\0" + bytes(range(256)))
    write(root, "data/huge.txt", "x" * (5 * 1024 * 1024 + 10))
    write(root, "deploy/prod/broken.yaml", "kind: [unclosed\n  : :\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "seeded")
    return root

"""A labelled corpus for the hardening scanner, synthesised from a fixed seed.

Every value is made up at run time (random characters in each credential's public
format, checksums computed with python-stdnum); nothing here is a real secret and no
generated value is stored in the repository. ``generate()`` returns positives (one
credential or piece of personal data each, in a variety of file syntaxes) and
negatives (placeholders, git SHAs, UUIDs, integrity hashes, i18n strings, base64
images, ordinary code that merely mentions passwords and tokens).

Used by tests/test_harden_corpus.py and bench/harden_throughput.py.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass

from stdnum import iban as std_iban
from stdnum import luhn
from stdnum.it import codicefiscale

UPPER, LOWER, DIGITS = string.ascii_uppercase, string.ascii_lowercase, string.digits
ALNUM = UPPER + LOWER + DIGITS
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
HEX = "0123456789abcdef"


@dataclass(frozen=True)
class Sample:
    """One labelled snippet: ``positive`` when it holds one real-looking value."""

    text: str
    positive: bool
    kind: str
    suffix: str = ".txt"


class Gen:
    """Random building blocks for one seeded corpus."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def s(self, alphabet: str, n: int) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def pick(self, options: list[str]) -> str:
        return self.rng.choice(options)

    def ident(self) -> str:
        return self.pick(["app", "svc", "prod", "main", "billing", "user", "core", "api"])

    def password(self) -> str:
        core = self.s(LOWER + UPPER, self.rng.randint(5, 9)) + self.s(DIGITS, 2)
        return core + self.pick(["!", "#", "$", "%", "&", "@", "*"]) + self.s(ALNUM, 2)

    def wrap(self, name: str, value: str) -> tuple[str, str]:
        """``value`` assigned to ``name`` in a random file syntax: (text, suffix)."""
        style = self.rng.randrange(6)
        if style == 0:
            return f'{name.lower()} = "{value}"\nprint("ready")\n', ".py"
        if style == 1:
            return f"{name.upper()}={value}\nLOG_LEVEL=info\n", ".env"
        if style == 2:
            return json.dumps({"service": self.ident(), name: value}, indent=2), ".json"
        if style == 3:
            return f"{self.ident()}:\n  {name.lower()}: {value}\n  replicas: 2\n", ".yaml"
        if style == 4:
            return f"const {name} = '{value}';\nexport default {name};\n", ".js"
        return f"export {name.upper()}={value}\n", ".sh"


def _iban(g: Gen) -> str:
    layouts = {"IT": "A" + "9" * 10 + "C" * 12, "DE": "9" * 18, "GB": "AAAA" + "9" * 14}
    layouts |= {"NL": "AAAA" + "9" * 10, "FR": "9" * 10 + "C" * 11 + "99"}
    while True:
        country = g.pick(list(layouts))
        pools = {"A": UPPER, "9": DIGITS, "C": UPPER + DIGITS}
        bban = "".join(g.rng.choice(pools[c]) for c in layouts[country])
        number = country + "00" + bban
        number = country + std_iban.calc_check_digits(number) + bban
        if std_iban.is_valid(number):
            if g.rng.random() < 0.5:
                return " ".join(number[i : i + 4] for i in range(0, len(number), 4))
            return number


def _card(g: Gen) -> str:
    prefix, length = g.pick(
        ["4:16", "51:16", "55:16", "2221:16", "34:15", "37:15", "6011:16"]
    ).split(":")
    body = prefix + g.s(DIGITS, int(length) - len(prefix) - 1)
    number = body + luhn.calc_check_digit(body)
    if len(number) == 16 and g.rng.random() < 0.6:
        sep = g.pick([" ", "-"])
        return sep.join(number[i : i + 4] for i in range(0, 16, 4))
    return number


def _codice_fiscale(g: Gen) -> str:
    while True:
        day = g.rng.randint(1, 28) + g.pick([0, 40])
        head = (
            g.s(UPPER, 6)
            + f"{g.rng.randint(40, 99):02d}"
            + g.pick(list("ABCDEHLMPRST"))
            + f"{day:02d}"
            + g.pick(list("ABCDEFGHILM"))
            + g.s(DIGITS, 3)
        )
        number = head + codicefiscale.calc_check_digit(head)
        if codicefiscale.is_valid(number):
            return number


def _partita_iva(g: Gen) -> str:
    body = f"{g.rng.randint(1, 9_999_999):07d}" + f"{g.rng.randint(1, 100):03d}"
    return body + luhn.calc_check_digit(body)


def _jwt(g: Gen) -> str:
    def enc(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    header = {"alg": g.pick(["HS256", "RS256", "ES256"]), "typ": "JWT"}
    payload = {
        "sub": g.s(DIGITS, 8),
        "name": g.s(LOWER, 6),
        "iat": g.rng.randint(1_600_000_000, 1_800_000_000),
    }
    return f"{enc(header)}.{enc(payload)}.{g.s(B64URL, 43)}"


def _pem(g: Gen) -> str:
    label = g.pick(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"])
    body = "\n".join(g.s(B64, 64) for _ in range(g.rng.randint(4, 12)))
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n"


def positives(g: Gen) -> list[Sample]:
    """At least 300 positives covering every credential and personal-data type."""
    makers: dict[str, Callable[[], tuple[str, str]]] = {
        "aws-id": lambda: g.wrap("aws_access_key_id", "AKIA" + g.s(UPPER + "234567", 16)),
        "aws-secret": lambda: g.wrap("aws_secret_access_key", g.s(B64, 40)),
        "google": lambda: g.wrap("maps_api_key", "AIza" + g.s(B64URL, 35)),
        "github": lambda: g.wrap("gh_token", g.pick(["ghp_", "gho_", "ghs_"]) + g.s(ALNUM, 36)),
        "github-fg": lambda: g.wrap("github_pat", f"github_pat_{g.s(ALNUM, 22)}_{g.s(ALNUM, 59)}"),
        "gitlab": lambda: g.wrap("gitlab_token", "glpat-" + g.s(ALNUM + "_-", 20)),
        "npm": lambda: (f"//registry.npmjs.org/:_authToken=npm_{g.s(ALNUM, 36)}\n", ".npmrc"),
        "pypi": lambda: (
            f"[pypi]\nusername = __token__\npassword = pypi-AgEIcHlwaS5vcmc{g.s(B64URL, 70)}\n",
            ".pypirc",
        ),
        "huggingface": lambda: g.wrap("hf_token", "hf_" + g.s(UPPER + LOWER, 34)),
        "openai": lambda: g.wrap(
            "openai_api_key",
            g.pick([f"sk-proj-{g.s(B64URL, 64)}", f"sk-{g.s(ALNUM, 20)}T3BlbkFJ{g.s(ALNUM, 20)}"]),
        ),
        "anthropic": lambda: g.wrap("anthropic_key", f"sk-ant-api03-{g.s(B64URL, 93)}AA"),
        "slack": lambda: g.wrap(
            "slack_bot", f"xoxb-{g.s(DIGITS, 12)}-{g.s(DIGITS, 13)}-{g.s(ALNUM, 24)}"
        ),
        "slack-webhook": lambda: (
            f"curl -X POST https://hooks.slack.com/services/T{g.s(UPPER + DIGITS, 8)}/"
            f"B{g.s(UPPER + DIGITS, 10)}/{g.s(ALNUM, 24)} -d @msg.json\n",
            ".sh",
        ),
        "stripe": lambda: g.wrap("stripe", f"sk_live_{g.s(ALNUM, g.rng.randint(24, 60))}"),
        "sendgrid": lambda: g.wrap("mailer", f"SG.{g.s(B64URL, 22)}.{g.s(B64URL, 43)}"),
        "private-key": lambda: (_pem(g), ".pem"),
        "jwt": lambda: (f"Authorization: Bearer {_jwt(g)}\n", ".http"),
        "url-password": lambda: (
            f'DATABASE_URL="{g.pick(["postgres", "mysql", "mongodb+srv", "redis", "amqp"])}://'
            f'{g.ident()}:{g.password()}@db{g.rng.randint(1, 9)}.corp.lan:5432/{g.ident()}"\n',
            ".env",
        ),
        "azure-storage": lambda: (
            f"DefaultEndpointsProtocol=https;AccountName={g.ident()}store;"
            f"AccountKey={g.s(B64, 86)}==;EndpointSuffix=core.windows.net\n",
            ".config",
        ),
        "generic": lambda: g.wrap(
            g.pick(["SECRET_KEY", "client_secret", "apiKey", "auth_token", "signing_key"]),
            g.s(ALNUM, g.rng.randint(24, 48)),
        ),
        "password": lambda: g.wrap(g.pick(["password", "db_password", "smtpPass"]), g.password()),
        "email": lambda: (
            f"Contact: {g.pick(['mario', 'giulia', 'anna', 'luca', 'paolo'])}."
            f"{g.s(LOWER, 6)}{g.rng.randint(1, 99)}@"
            f"{g.pick(['gmail.com', 'libero.it', 'outlook.com', 'proton.me', 'studio-rossi.it'])}\n",
            ".md",
        ),
        "phone": lambda: (
            g.pick(
                [
                    f"tel: +39 3{g.s(DIGITS, 2)} {g.s(DIGITS, 3)} {g.s(DIGITS, 4)}\n",
                    f'"phone": "+44 7{g.s(DIGITS, 3)} {g.s(DIGITS, 6)}"\n',
                    f"Call +49 151 {g.s(DIGITS, 8)} after 6pm\n",
                    f"mobile = 3{g.s(DIGITS, 2)}.{g.s(DIGITS, 7)}\n",
                ]
            ),
            ".txt",
        ),
        "iban": lambda: (f"Bonifico su IBAN {_iban(g)} entro venerdì\n", ".md"),
        "card": lambda: (f"name,card\n{g.s(LOWER, 6)},{_card(g)}\n", ".csv"),
        "codice-fiscale": lambda: (f"Codice fiscale: {_codice_fiscale(g)}\n", ".txt"),
        "partita-iva": lambda: (
            g.pick([f"P.IVA {_partita_iva(g)}\n", f"VAT: IT{_partita_iva(g)}\n"]),
            ".txt",
        ),
    }
    samples = []
    for kind, make in makers.items():
        for _ in range(13):
            text, suffix = make()
            samples.append(Sample(text, True, kind, suffix))
    return samples


def negatives(g: Gen) -> list[Sample]:
    """At least 300 negatives: placeholders, hashes, ids, i18n, images, plain code."""
    sha = lambda: g.s(HEX, 40)  # noqa: E731
    uuid = lambda: f"{g.s(HEX, 8)}-{g.s(HEX, 4)}-4{g.s(HEX, 3)}-a{g.s(HEX, 3)}-{g.s(HEX, 12)}"  # noqa: E731
    makers: dict[str, Callable[[], str]] = {
        "placeholder": lambda: g.pick(
            [
                "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n",
                "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
                f"api_key: <your-api-key-{g.ident()}>\n",
                f'token = "${{{g.ident().upper()}_TOKEN}}"\n',
                "password: changeme\n",
                'SECRET_KEY = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"\n',
                'password = os.environ["DB_PASSWORD"]\n',
                f"DATABASE_URL=postgres://{g.ident()}:${{DB_PASSWORD}}@localhost:5432/app\n",
                "OPENAI_API_KEY=sk-...\n",
                "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
                f"Contact: {g.s(LOWER, 5)}@example.com\n",
                "Test card: 4242 4242 4242 4242\n",
                f'"password": "{"*" * g.rng.randint(6, 12)}"\n',
                "db_password: {{ vault_db_password }}\n",
                f"client_secret = 'your-client-secret-{g.ident()}'\n",
                "postgres://user:password@localhost/db\n",
                "STRIPE_KEY=sk_test_your_key_here\n",
                f"api_key = get_secret('{g.ident()}')\n",
                "Authorization: Bearer <token>\n",
                "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n",
            ]
        ),
        "git-sha": lambda: g.pick(
            [
                f"commit {sha()}\nAuthor: CI <ci@ci.invalid>\n",
                f'rev = "{sha()}"\n',
                f'{{"sha": "{sha()}", "ref": "refs/heads/main"}}\n',
                f"git checkout {sha()[: g.rng.randint(7, 12)]}\n",
                f"Merge: {sha()[:7]} {sha()[:7]}\n",
                f"  - uses: actions/checkout@{sha()}\n",
            ]
        ),
        "uuid": lambda: g.pick(
            [
                f'request_id = "{uuid()}"\n',
                f'{{"id": "{uuid()}", "status": "ok"}}\n',
                f"tenant: {uuid()}\n",
                f"<ProjectGuid>{{{uuid().upper()}}}</ProjectGuid>\n",
                f'token_id = "{uuid()}"\n',
            ]
        ),
        "integrity": lambda: g.pick(
            [
                f'"integrity": "sha512-{g.s(B64, 86)}=="\n',
                f"--hash=sha256:{g.s(HEX, 64)}\n",
                f'checksum = "{g.s(HEX, 64)}"\n',
                f"sha256sum: {g.s(HEX, 64)}  dist.tar.gz\n",
                f'<script integrity="sha384-{g.s(B64, 64)}"></script>\n',
            ]
        ),
        "i18n": lambda: json.dumps(
            {
                "password": g.pick(
                    ["Passwort", "Contraseña", "Mot de passe", "パスワード", "Пароль"]
                ),
                "token": g.pick(["Jeton", "Gettone", "令牌", "Token de acceso"]),
                "secret": g.pick(["Segreto", "Geheimnis", "Secreto"]),
                "apiKey": g.pick(["Clé API", "API-Schlüssel", "Chiave API"]),
                "phone": g.pick(["Telefono", "Téléphone", "Telefon"]),
            },
            ensure_ascii=False,
        ),
        "base64-image": lambda: g.pick(
            [
                f".logo {{ background: url(data:image/png;base64,{g.s(B64, g.rng.randint(200, 1200))}=); }}\n",
                f'<img src="data:image/gif;base64,{g.s(B64, g.rng.randint(200, 900))}" alt="">\n',
                f"![icon](data:image/webp;base64,{g.s(B64, g.rng.randint(200, 900))})\n",
            ]
        ),
        "code": lambda: g.pick(
            [
                f"max_tokens = {g.rng.randint(256, 32000)}\n",
                f'tokenizer = AutoTokenizer.from_pretrained("{g.pick(["bert-base-uncased", "gpt2", "t5-small"])}")\n',
                "def check_password(self, raw: str) -> bool:\n    return verify(raw, self.password_hash)\n",
                "if not token:\n    raise PermissionError('missing token')\n",
                "password_field = forms.CharField(widget=forms.PasswordInput)\n",
                f"timestamp_ms = {g.rng.randint(1_600_000_000_000, 1_800_000_000_000)}\n",
                f"version = '1.{g.rng.randint(0, 9)}.{g.rng.randint(0, 9)}+build.2024{g.s(DIGITS, 4)}'\n",
                f"created_at: 2024-0{g.rng.randint(1, 9)}-1{g.rng.randint(0, 9)}T10:00:00+01:00\n",
                f"color: #{g.s(HEX, 6)};\n",
                "PASSWORD_MIN_LENGTH=12\n",
                "token_url: https://oauth2.googleapis.com/token\n",
                "SECRET_KEY_FILE=/run/secrets/django_key\n",
                "password = getpass.getpass()\n",
                'auth_token = request.headers.get("Authorization")\n',
                f"git clone git@github.com:{g.ident()}/{g.ident()}.git\n",
                '"@types/node": "^20.11.0"\n',
                f'<img src="logo@2x.png"> {g.ident()}\n',
                "From: GitHub <noreply@github.com>\n",
                f"pip install {g.ident()}=={g.rng.randint(1, 9)}.{g.rng.randint(0, 20)}.0\n",
                f"order_total = {g.rng.randint(1, 999)}.{g.s(DIGITS, 2)}\n",
                f"ip = '10.{g.rng.randint(0, 255)}.{g.rng.randint(0, 255)}.{g.rng.randint(1, 254)}'\n",
                f"x = a + {g.s(DIGITS, 9)}\n",
                f"IBAN IT00X{g.s(DIGITS, 22)}\n",
                f"invoice {g.s(DIGITS, 11)} paid\n",
                f"serial: {g.s(DIGITS, 16)}\n",
                "secret_name = 'prod-db-credentials'\n",
                f'"token": "Bearer"\nretries = {g.rng.randint(1, 5)}\n',
                "bypass = 'yes-please-1'\n",
                f"user.name = {g.s(LOWER, 6)}\n",
                f"# see RFC 7519 section {g.rng.randint(1, 9)}.{g.rng.randint(1, 9)} for the token format\n",
            ]
        ),
    }
    counts = {"placeholder": 70, "git-sha": 40, "uuid": 35, "integrity": 35}
    counts |= {"i18n": 30, "base64-image": 30, "code": 80}
    return [Sample(makers[kind](), False, kind) for kind, n in counts.items() for _ in range(n)]


def generate(seed: int = 20240613) -> list[Sample]:
    """The whole corpus for ``seed`` (same seed, same corpus)."""
    g = Gen(seed)
    return positives(g) + negatives(g)


def score(detected: list[bool], samples: list[Sample]) -> tuple[float, float]:
    """(precision, recall) where a sample counts as detected when it has any finding."""
    tp = sum(1 for d, s in zip(detected, samples, strict=True) if d and s.positive)
    fp = sum(1 for d, s in zip(detected, samples, strict=True) if d and not s.positive)
    positives_total = sum(1 for s in samples if s.positive)
    precision = tp / (tp + fp) if tp + fp else 1.0
    return precision, tp / positives_total if positives_total else 1.0

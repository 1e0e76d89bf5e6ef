"""The one settings object: environment variables prefixed RAPPORT_, or a .env file."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.care import MONTH_STEPS, CareRules
from domain.churn import ChurnRules, ChurnWeights
from domain.key_accounts import Grade, VisitCadence
from domain.loyalty import LoyaltyRules
from domain.rfm import RfmThresholds
from domain.sign_in import (
    DEFAULT_DELAY_SECONDS,
    DEFAULT_FREE_FAILURES,
    DEFAULT_MAX_DELAY_SECONDS,
    DEFAULT_SESSION_MINUTES,
    SignInRules,
)
from domain.tiers import TierThresholds
from domain.tokens import DEFAULT_LAST_USED_INTERVAL, DEFAULT_LIFETIME_DAYS, MAX_LIFETIME_DAYS
from domain.value import ValueRules


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAPPORT_", env_file=".env", extra="ignore")

    mongodb_uri: str | None = Field(
        default=None,
        description="MongoDB replica set or Atlas URI; unset starts the embedded database.",
    )
    mongodb_db: str = Field(default="rapport", description="Database name.")
    mongodb_timeout_ms: int = Field(
        default=5000,
        ge=100,
        le=120_000,
        description="Deadline of every database operation (PyMongo's timeoutMS), in milliseconds.",
    )
    data_dir: Path = Field(
        default=Path(".data/db"), description="Where the embedded database keeps its files."
    )
    host: str = Field(default="127.0.0.1", description="Address the HTTP server binds.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port the HTTP server binds.")
    env: Literal["development", "production"] = Field(
        default="development",
        description="development serves GraphiQL and logs for humans; production logs JSON.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO", description="Log level.")
    max_query_depth: int = Field(default=10, ge=1, description="Queries nested deeper than this are refused.")

    # Query limits and HTTP hardening: each refused before anything executes.
    max_query_aliases: int = Field(default=15, ge=0, description="Aliased fields allowed in one document.")
    max_query_tokens: int = Field(
        default=2000, ge=100, description="Lexical tokens (comments included) allowed in one document."
    )
    max_query_cost: int = Field(
        default=5000,
        ge=1,
        description="Budget of a query: each field costs 1, a connection multiplies its selection by `first`.",
    )
    max_request_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Larger request bodies are refused with 413 before parsing."
    )
    cors_allowed_origins: list[str] = Field(
        default_factory=list,
        description="Browser origins allowed to call the graph (development also allows localhost).",
    )
    rate_limit_per_minute: int = Field(
        default=600, ge=1, description="Requests per token per minute, counted by each instance."
    )
    embedded_start_timeout_s: float = Field(
        default=30.0, gt=0, description="How long to wait for the embedded database to answer."
    )
    embedded_restarts: int = Field(
        default=3,
        ge=0,
        le=20,
        description="Restarts of a dead embedded database before the service gives up and exits non-zero.",
    )
    embedded_restart_backoff_s: float = Field(
        default=1.0, gt=0, le=60, description="Wait before the first restart; doubled at each further try."
    )
    embedded_stop_timeout_s: float = Field(
        default=10.0, gt=0, description="How long the embedded database may take to stop before it is killed."
    )

    cursor_secret: SecretStr | None = Field(
        default=None,
        min_length=32,
        description="Key that signs pagination cursors (at least 32 characters); unset: a "
        "random key kept in the database and shared by every instance.",
    )

    compensation_approval_limit: Decimal = Field(
        default=Decimal(100),
        ge=0,
        le=Decimal(10) ** 9,
        description="A complaint handler grants compensation up to this amount; above it an ADMIN approves.",
    )

    # --- value, segments and churn (domain.md §1, §2); changing the RFM scores or the tier
    # lines takes effect for new writes: `rollups rebuild` refiles everyone under them ---
    currency: str = Field(
        default="CNY",
        pattern=r"^[A-Z]{3}$",
        description="The deployment's currency: purchases and spend are in it.",
    )
    tier_vip_spend: Decimal = Field(
        default=Decimal(8000),
        gt=0,
        le=Decimal(10) ** 12,
        description="Lifetime spend from which a customer is VIP.",
    )
    tier_quality_new_units: int = Field(
        default=4,
        ge=1,
        le=10_000,
        description="Units of a single first order that make a QUALITY_NEW customer.",
    )
    rfm_recency_days: tuple[int, int, int, int] = Field(
        default=(30, 90, 180, 365),
        description="Recency scores 5, 4, 3, 2 up to these many days since the last purchase.",
    )
    rfm_frequency: tuple[int, int, int, int] = Field(
        default=(10, 6, 3, 2), description="Frequency scores 5, 4, 3, 2 from these many purchases."
    )
    rfm_monetary: tuple[Decimal, Decimal, Decimal, Decimal] = Field(
        default=(Decimal(8000), Decimal(3000), Decimal(1000), Decimal(300)),
        description="Monetary scores 5, 4, 3, 2 from this lifetime spend.",
    )
    dormant_days: int = Field(
        default=180, ge=1, le=3650, description="No purchase for longer: DORMANT segment."
    )
    lapse_days: int = Field(
        default=180, ge=1, le=3650, description="No purchase for longer: the churn scan lapses the customer."
    )
    churn_threshold: float = Field(
        default=0.6,
        ge=0,
        le=1,
        description="A churn risk above this makes the churn scan flag the customer AT_RISK.",
    )
    churn_weights: dict[str, float] = Field(
        default_factory=lambda: dict(ChurnWeights().items()),
        description="Weight of each churn signal (purchase_gap, engagement_drop, recent_complaints, "
        "low_satisfaction); they sum to 1.",
    )
    churn_default_rhythm_days: int = Field(
        default=90, ge=1, le=3650, description="Expected days between purchases for a customer with only one."
    )
    churn_complaint_window_days: int = Field(
        default=90, ge=1, le=3650, description="Complaints this recent count towards churn risk."
    )

    # --- loyalty (domain.md §7) ---
    points_lifetime_days: int = Field(
        default=365, ge=1, le=3650, description="A lot of points expires this many days after it was earned."
    )
    points_purchase_pending_days: int = Field(
        default=0,
        ge=0,
        le=365,
        description="Purchase points become spendable this many days after the purchase (a return window).",
    )
    points_referral: int = Field(
        default=200,
        ge=0,
        le=1_000_000,
        description="Points the referrer earns when the customer they referred makes a first purchase.",
    )
    coupon_issue_max: int = Field(
        default=10_000,
        ge=1,
        le=1_000_000,
        description="The most customers one segment or tier coupon issue reaches.",
    )

    demo_token_ttl_hours: int = Field(
        default=24, ge=1, le=720, description="How long the development demo admin token works."
    )
    # --- API tokens ---
    token_default_ttl_days: int = Field(
        default=DEFAULT_LIFETIME_DAYS,
        ge=1,
        le=3650,
        description="Lifetime of a token made by create-token without --expires-in, in days.",
    )
    token_max_ttl_days: int = Field(
        default=MAX_LIFETIME_DAYS, ge=1, le=3650, description="The longest --expires-in accepted, in days."
    )
    token_last_used_interval_s: int = Field(
        default=int(DEFAULT_LAST_USED_INTERVAL.total_seconds()),
        ge=1,
        le=86_400,
        description="A token's lastUsedAt is written at most this often, in seconds.",
    )

    # --- signing in with a password (the web client; domain/sign_in.py) ---
    session_ttl_minutes: int = Field(
        default=DEFAULT_SESSION_MINUTES,
        ge=5,
        le=7 * 24 * 60,
        description="Lifetime of a web session (the token signIn answers), in minutes.",
    )
    sign_in_free_failures: int = Field(
        default=DEFAULT_FREE_FAILURES,
        ge=1,
        le=100,
        description="Failed sign-ins for one name before each further attempt must wait.",
    )
    sign_in_delay_s: int = Field(
        default=DEFAULT_DELAY_SECONDS,
        ge=1,
        le=3600,
        description="The first wait after the free failures, in seconds; doubled at every further failure.",
    )
    sign_in_max_delay_s: int = Field(
        default=DEFAULT_MAX_DELAY_SECONDS,
        ge=1,
        le=86_400,
        description="The longest wait between sign-in attempts for one name, in seconds.",
    )

    phone_default_region: str = Field(
        default="CN",
        pattern=r"^[A-Z]{2}$",
        description="Country (ISO 3166 alpha-2) of phone numbers written without a +country code.",
    )

    visit_cadence_a_days: int = Field(default=30, ge=1, description="Days between visits, grade A.")
    visit_cadence_b_days: int = Field(default=91, ge=1, description="Days between visits, grade B.")
    visit_cadence_c_days: int = Field(default=182, ge=1, description="Days between visits, grade C.")

    # --- care plans (domain.md §6; the cadences themselves are templates in the database) ---
    care_activation_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description="An ACQUIRED customer with no purchase for this many days gets an activation plan.",
    )
    care_letter_months_a: int = Field(
        default=3, description="Months between consultation letters to grade A key accounts (quarterly)."
    )
    care_letter_months_b: int = Field(default=6, description="The same for grade B (twice a year).")
    care_letter_months_c: int = Field(default=6, description="The same for grade C (twice a year).")
    key_account_satisfaction_target: float = Field(
        default=0.9, ge=0, le=1, description="Key accounts: target share of satisfied letter answers (4-5)."
    )
    key_account_loyalty_target: float = Field(
        default=0.8, ge=0, le=1, description="Key accounts: target share of answers intending to stay."
    )
    care_activities_per_quarter: int = Field(
        default=1, ge=0, le=1000, description="Care activities a quarter should hold at least."
    )
    care_invite_batch: int = Field(
        default=2000,
        ge=1,
        le=100_000,
        description="Invitations one inviteToCareActivity call writes at most.",
    )

    @model_validator(mode="after")
    def _letter_cadence_divides_the_year(self) -> Settings:
        for grade in "abc":
            if getattr(self, f"care_letter_months_{grade}") not in MONTH_STEPS:
                raise ValueError(f"RAPPORT_CARE_LETTER_MONTHS_{grade.upper()} is one of {list(MONTH_STEPS)}")
        return self

    @property
    def care_rules(self) -> CareRules:
        return CareRules(
            activation_days=self.care_activation_days,
            letter_months={
                Grade.A: self.care_letter_months_a,
                Grade.B: self.care_letter_months_b,
                Grade.C: self.care_letter_months_c,
            },
            satisfaction_target=self.key_account_satisfaction_target,
            loyalty_target=self.key_account_loyalty_target,
            activities_per_quarter=self.care_activities_per_quarter,
            invite_batch=self.care_invite_batch,
        )

    # --- background jobs (server/jobs.py) ---
    jobs_schedule: dict[str, Annotated[int, Field(ge=1, le=7 * 86_400)]] = Field(
        default_factory=dict,
        description="Jobs `serve` runs by itself: job name -> seconds between runs, as JSON "
        '(e.g. {"sla-scan": 60}). Empty: none (run them with `jobs run`).',
    )
    job_lease_seconds: int = Field(
        default=300,
        ge=10,
        le=86_400,
        description="Length of a job's lease; a running job renews it every third of this, so "
        "another instance takes a job over this long after its runner died.",
    )
    job_runs_keep_days: int = Field(
        default=90, ge=1, le=3650, description="Days the run history (job_runs) keeps each job's runs."
    )

    @property
    def visit_cadence(self) -> VisitCadence:
        return VisitCadence(
            a=self.visit_cadence_a_days, b=self.visit_cadence_b_days, c=self.visit_cadence_c_days
        )

    @model_validator(mode="after")
    def _value_rules_make_sense(self) -> Settings:
        if list(self.rfm_recency_days) != sorted(set(self.rfm_recency_days)):
            raise ValueError("RAPPORT_RFM_RECENCY_DAYS must rise strictly, e.g. [30, 90, 180, 365]")
        for name in ("rfm_frequency", "rfm_monetary"):
            values = list(getattr(self, name))
            if values != sorted(set(values), reverse=True):
                raise ValueError(f"RAPPORT_{name.upper()} must fall strictly (scores 5, 4, 3, 2)")
        if self.points_purchase_pending_days >= self.points_lifetime_days:
            raise ValueError(
                "RAPPORT_POINTS_PURCHASE_PENDING_DAYS must be shorter than RAPPORT_POINTS_LIFETIME_DAYS "
                "(points would expire before they could be spent)"
            )
        known = {name for name, _ in ChurnWeights().items()}
        if set(self.churn_weights) != known or abs(sum(self.churn_weights.values()) - 1) > 1e-9:
            raise ValueError(f"RAPPORT_CHURN_WEIGHTS needs exactly {sorted(known)}, summing to 1")
        return self

    @property
    def value_rules(self) -> ValueRules:
        return ValueRules(
            currency=self.currency,
            tiers=TierThresholds(
                vip_spend=self.tier_vip_spend, quality_new_units=self.tier_quality_new_units
            ),
            rfm=RfmThresholds(
                recency_days=self.rfm_recency_days,
                frequency=self.rfm_frequency,
                monetary=self.rfm_monetary,
                dormant_days=self.dormant_days,
            ),
            churn=ChurnRules(
                weights=ChurnWeights(**self.churn_weights),
                default_rhythm_days=self.churn_default_rhythm_days,
                complaint_window_days=self.churn_complaint_window_days,
                threshold=self.churn_threshold,
            ),
            lapse_days=self.lapse_days,
            loyalty=LoyaltyRules(
                lifetime_days=self.points_lifetime_days,
                purchase_pending_days=self.points_purchase_pending_days,
                referral_points=self.points_referral,
                coupon_issue_max=self.coupon_issue_max,
            ),
        )

    @model_validator(mode="after")
    def _default_lifetime_within_the_longest(self) -> Settings:
        if self.token_default_ttl_days > self.token_max_ttl_days:
            raise ValueError("RAPPORT_TOKEN_DEFAULT_TTL_DAYS is longer than RAPPORT_TOKEN_MAX_TTL_DAYS")
        return self

    @property
    def sign_in_rules(self) -> SignInRules:
        return SignInRules(
            session_lifetime=timedelta(minutes=self.session_ttl_minutes),
            free_failures=self.sign_in_free_failures,
            delay=timedelta(seconds=self.sign_in_delay_s),
            max_delay=timedelta(seconds=max(self.sign_in_max_delay_s, self.sign_in_delay_s)),
        )

    @property
    def token_default_lifetime(self) -> timedelta:
        return timedelta(days=self.token_default_ttl_days)

    @property
    def token_max_lifetime(self) -> timedelta:
        return timedelta(days=self.token_max_ttl_days)

    @property
    def token_last_used_interval(self) -> timedelta:
        return timedelta(seconds=self.token_last_used_interval_s)

    @property
    def is_development(self) -> bool:
        return self.env == "development"


@lru_cache
def get_settings() -> Settings:
    return Settings()

"""Parity of `tailor experiment stats` with GrowthBook's gbstats 0.8.0.

Runs the tailor binary on aggregate fixtures (proportions, means with three
variants and unequal weights, a ratio metric, CUPED, absolute differences, a
small sample, a zero-variance control) and computes the same numbers with
gbstats' own classes (TwoSidedTTest, SequentialTwoSidedTTest,
EffectBayesianABTest, check_srm) and, for two fixtures, its whole pipeline
(process_single_metric). Every estimate, interval end, p-value, chance to win
and risk must agree to 1e-6 (absolute, or relative for values above 1).

Run by CTest (gbstats_parity) with the Python of the virtualenv that
scripts/setup.sh makes (~/.cache/tailor/gbstats-venv); TAILOR_BIN names the binary.
"""
import json
import os
import subprocess
import tempfile

import pytest
from gbstats.bayesian.tests import EffectBayesianABTest, EffectBayesianConfig
from gbstats.frequentist.tests import (FrequentistConfig, SequentialConfig, SequentialTwoSidedTTest,
                                       TwoSidedTTest)
from gbstats.gbstats import process_single_metric
from gbstats.models.settings import AnalysisSettingsForStatsEngine, MetricSettingsForStatsEngine
from gbstats.models.statistics import (ProportionStatistic, RatioStatistic, RegressionAdjustedStatistic,
                                       SampleMeanStatistic)
from gbstats.utils import check_srm

TAILOR = os.environ.get("TAILOR_BIN", "build/src/cli/tailor")
TOL = 1e-6


def close(a, b):
    return abs(a - b) <= TOL * max(1.0, abs(b))


def run_tailor(fixture):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(fixture, f)
        path = f.name
    try:
        out = subprocess.run([TAILOR, "experiment", "stats", "--input", path, "--json"], capture_output=True,
                             text=True, timeout=60)
    finally:
        os.unlink(path)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def base_stat(kind, n, s, ss):
    return ProportionStatistic(n=n, sum=s) if kind == "proportion" else SampleMeanStatistic(n=n, sum=s, sum_squares=ss)


def gb_stat(fixture, v):
    kind = fixture["metric_type"]
    if fixture.get("ratio"):
        den = fixture.get("denominator_type", "mean")
        return RatioStatistic(n=v["users"], m_statistic=base_stat(kind, v["users"], v["sum"], v.get("sum_squares", v["sum"])),
                              d_statistic=base_stat(den, v["users"], v["denominator_sum"], v["denominator_sum_squares"]),
                              m_d_sum_of_products=v["main_denominator_sum_product"])
    if fixture.get("cuped"):
        cov = fixture.get("covariate_type", kind)
        return RegressionAdjustedStatistic(
            n=v["users"], post_statistic=base_stat(kind, v["users"], v["sum"], v.get("sum_squares", v["sum"])),
            pre_statistic=base_stat(cov, v["users"], v["covariate_sum"], v["covariate_sum_squares"]),
            post_pre_sum_of_products=v["main_covariate_sum_product"], theta=0)
    return base_stat(kind, v["users"], v["sum"], v.get("sum_squares", v["sum"]))


def mean_variant(name, n, mean, sd, **extra):
    s = n * mean
    ss = (n - 1) * sd * sd + s * s / n
    return dict(name=name, users=n, sum=s, sum_squares=ss, **extra)


FIXTURES = {
    "proportion": {"metric_type": "proportion", "weights": [0.5, 0.5],
                   "variants": [{"name": "control", "users": 10234, "sum": 1012},
                                {"name": "treatment", "users": 10101, "sum": 1123}]},
    "means_three_variants": {"metric_type": "mean", "weights": [0.5, 0.25, 0.25],
                             "variants": [mean_variant("control", 5012, 12.4, 9.1),
                                          mean_variant("b", 2499, 13.1, 9.8),
                                          mean_variant("c", 2570, 12.0, 8.7)]},
    "ratio_ctr": {"metric_type": "mean", "ratio": True, "weights": [0.5, 0.5],
                  "variants": [dict(name="control", users=3000, sum=900, sum_squares=1500, denominator_sum=9000,
                                    denominator_sum_squares=36000, main_denominator_sum_product=3600),
                               dict(name="treatment", users=3050, sum=1010, sum_squares=1750, denominator_sum=9100,
                                    denominator_sum_squares=36500, main_denominator_sum_product=4050)]},
    "ratio_proportion_numerator": {"metric_type": "proportion", "ratio": True, "weights": [0.5, 0.5],
                                   "variants": [dict(name="control", users=2000, sum=300, denominator_sum=5000,
                                                     denominator_sum_squares=16000, main_denominator_sum_product=900),
                                                dict(name="treatment", users=1980, sum=345, denominator_sum=4900,
                                                     denominator_sum_squares=15500, main_denominator_sum_product=1010)]},
    "cuped_mean": {"metric_type": "mean", "cuped": True, "weights": [0.5, 0.5],
                   "variants": [dict(mean_variant("control", 4000, 20.0, 15.0), covariate_sum=4000 * 18.0,
                                     covariate_sum_squares=3999 * 14.0 ** 2 + 4000 * 18.0 ** 2,
                                     main_covariate_sum_product=3999 * 0.7 * 15.0 * 14.0 + 4000 * 20.0 * 18.0),
                                dict(mean_variant("treatment", 4100, 20.9, 15.5), covariate_sum=4100 * 18.1,
                                     covariate_sum_squares=4099 * 14.2 ** 2 + 4100 * 18.1 ** 2,
                                     main_covariate_sum_product=4099 * 0.7 * 15.5 * 14.2 + 4100 * 20.9 * 18.1)]},
    "cuped_proportion": {"metric_type": "proportion", "cuped": True, "weights": [0.5, 0.5],
                         "variants": [dict(name="control", users=6000, sum=610, covariate_sum=580,
                                           covariate_sum_squares=580, main_covariate_sum_product=240),
                                      dict(name="treatment", users=6100, sum=700, covariate_sum=600,
                                           covariate_sum_squares=600, main_covariate_sum_product=270)]},
    "absolute_small_sample": {"metric_type": "mean", "difference": "absolute", "alpha": 0.1, "weights": [0.4, 0.6],
                              "sequential_tuning": 300,
                              "variants": [mean_variant("control", 12, 3.0, 1.4), mean_variant("b", 19, 3.9, 2.2)]},
    "unequal_srm": {"metric_type": "proportion", "weights": [0.2, 0.3, 0.5],
                    "variants": [{"name": "a", "users": 2100, "sum": 200}, {"name": "b", "users": 2950, "sum": 301},
                                 {"name": "c", "users": 4800, "sum": 470}]},
}


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_matches_gbstats(name):
    fixture = FIXTURES[name]
    ours = run_tailor(fixture)
    variants = fixture["variants"]
    weights = fixture["weights"]
    alpha = fixture.get("alpha", 0.05)
    difference = fixture.get("difference", "relative")
    tuning = fixture.get("sequential_tuning", 5000)
    assert close(ours["srm_p_value"], check_srm([v["users"] for v in variants], weights))
    assert ours["variants"][0]["lift"] is None
    for idx in range(1, len(variants)):
        row = ours["variants"][idx]
        assert row["name"] == variants[idx]["name"]
        fixed = TwoSidedTTest(gb_stat(fixture, variants[0]), gb_stat(fixture, variants[idx]),
                              FrequentistConfig(alpha=alpha, difference_type=difference)).compute_result()
        assert fixed.error_message is None
        assert close(row["lift"], fixed.expected), (row["lift"], fixed.expected)
        assert close(row["ci"][0], fixed.ci[0]) and close(row["ci"][1], fixed.ci[1]), (row["ci"], fixed.ci)
        assert close(row["p_value"], fixed.p_value), (row["p_value"], fixed.p_value)
        seq = SequentialTwoSidedTTest(gb_stat(fixture, variants[0]), gb_stat(fixture, variants[idx]),
                                      SequentialConfig(alpha=alpha, difference_type=difference,
                                                       sequential_tuning_parameter=tuning)).compute_result()
        assert close(row["sequential"]["lift"], seq.expected)
        assert close(row["sequential"]["ci"][0], seq.ci[0]) and close(row["sequential"]["ci"][1], seq.ci[1])
        assert close(row["sequential"]["p_value"], seq.p_value), (row["sequential"]["p_value"], seq.p_value)
        bayes = EffectBayesianABTest(gb_stat(fixture, variants[0]), gb_stat(fixture, variants[idx]),
                                     EffectBayesianConfig(alpha=alpha, difference_type=difference)).compute_result()
        assert close(row["bayesian"]["chance_to_win"], bayes.chance_to_win)
        assert close(row["bayesian"]["ci"][0], bayes.ci[0]) and close(row["bayesian"]["ci"][1], bayes.ci[1])
        assert close(row["bayesian"]["risk"][0], bayes.risk[0]) and close(row["bayesian"]["risk"][1], bayes.risk[1])


def pipeline(fixture):
    """gbstats' whole stats runner on the fixture (frequentist, fixed horizon)."""
    kind = "binomial" if fixture["metric_type"] == "proportion" else "count"
    rows = []
    for idx, v in enumerate(fixture["variants"]):
        rows.append({"dimension": "All", "variation": str(idx), "users": v["users"], "count": v["users"],
                     "main_sum": v["sum"], "main_sum_squares": v.get("sum_squares", v["sum"])})
    metric = MetricSettingsForStatsEngine(id="m", name="m", statistic_type="mean", main_metric_type=kind)
    analysis = AnalysisSettingsForStatsEngine(var_names=[v["name"] for v in fixture["variants"]],
                                              var_ids=[str(i) for i in range(len(fixture["variants"]))],
                                              weights=fixture["weights"], stats_engine="frequentist")
    result = process_single_metric(rows, metric, [analysis])
    return result.analyses[0].dimensions[0]


@pytest.mark.parametrize("name", ["proportion", "means_three_variants", "zero_variance_control"])
def test_contract_matches_the_gbstats_pipeline(name):
    fixture = FIXTURES.get(name) or {
        # A control whose every user converted: gbstats cannot test, reports the raw lift, p = 1.
        "metric_type": "proportion", "weights": [0.5, 0.5],
        "variants": [{"name": "control", "users": 50, "sum": 50}, {"name": "b", "users": 50, "sum": 45}]}
    ours = run_tailor(fixture)
    theirs = pipeline(fixture)
    assert close(ours["srm_p_value"], theirs.srm)
    for idx in range(1, len(fixture["variants"])):
        gb = theirs.variations[idx]
        row = ours["variants"][idx]
        assert close(row["lift"], gb.expected), (row["lift"], gb.expected)
        assert close(row["ci"][0], gb.ci[0]) and close(row["ci"][1], gb.ci[1])
        assert close(row["p_value"], gb.pValue)


def test_bad_input_names_the_field():
    out = subprocess.run([TAILOR, "experiment", "stats", "--input", "/dev/stdin", "--json"],
                         input=json.dumps({"metric_type": "mean", "variants": [{"name": "a", "users": 5, "sum": 1}]}),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 3, out
    assert "variants" in out.stderr

"""Edge cases of the counting and localization metrics and the submission
reader that mutation testing (`make mutate`) found untested, each with a
hand-computed expectation."""
import math

from hsrcount.evaluation import match_points, precision_recall_f1
from hsrcount.evaluation.metrics.counting_metric import count_errors
from hsrcount.evaluation.metrics.submission import read_submission


def test_nae_counts_images_with_one_head():
    # |2 - 1| / 1 = 1 and |2 - 4| / 4 = 0.5: NAE 0.75. Only gt = 0 is left
    # out of the mean.
    errors = count_errors([1, 4, 0], [2, 2, 1])
    assert errors['MAE'] == (1 + 2 + 1) / 3
    assert math.isclose(errors['MSE'], math.sqrt((1 + 4 + 1) / 3))
    assert math.isclose(errors['NAE'], 0.75)


def test_no_images_give_nan_for_every_metric():
    errors = count_errors([], [])
    assert sorted(errors) == ['MAE', 'MSE', 'NAE']
    assert all(math.isnan(v) for v in errors.values())


def test_predictions_that_match_no_head_score_zero():
    assert precision_recall_f1(0, 3, 2) == (0.0, 0.0, 0.0)


def test_one_prediction_matches():
    assert match_points([[10, 10]], [[12, 10], [50, 50]], 4) == 1


def test_a_pair_at_the_threshold_matches():
    # A 3-4-5 triangle: the distance is exactly 5.
    assert match_points([[0, 0]], [[3, 4]], 5.0) == 1
    assert match_points([[0, 0]], [[3, 4]], 4.99) == 0


def test_submission_reader_reads_past_a_blank_line(tmp_path):
    path = tmp_path / 'sub.txt'
    path.write_text('3110 12.5\n\n3111 4\n')
    assert read_submission(str(path)) == {'3110': 12.5, '3111': 4.0}

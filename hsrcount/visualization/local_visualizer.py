"""The visualizer behind ``--show-dir``: image | GT density | prediction."""
from typing import Optional, Sequence

import mmcv
import numpy as np
from mmengine.dist import master_only
from mmengine.visualization import Visualizer

from hsrcount.registry import VISUALIZERS
from hsrcount.structures import CrowdDataSample
from .density_figure import DEFAULT_TITLES, draw_data_sample


@VISUALIZERS.register_module()
class CrowdLocalVisualizer(Visualizer):
    """Draws an image beside its GT and predicted density maps.

    Example config::

        visualizer = dict(type='CrowdLocalVisualizer',
                          vis_backends=[dict(type='LocalVisBackend')],
                          name='visualizer')

    Args:
        name (str): Name of the instance. Defaults to 'visualizer'.
        vis_backends (list[dict], optional): Backends that receive the
            drawings when no ``out_file`` is given. Defaults to None.
        save_dir (str, optional): Where the backends save. Defaults to None.
        panel_width (int): Width of each panel in pixels. Defaults to 320.
        titles (Sequence[str]): Base titles of the image, GT and prediction
            panels. Defaults to ``('Image', 'GT', 'Prediction')``.
        **kwargs: Passed to :class:`mmengine.visualization.Visualizer`.
    """

    def __init__(self,
                 name: str = 'visualizer',
                 vis_backends: Optional[list] = None,
                 save_dir: Optional[str] = None,
                 panel_width: int = 320,
                 titles: Sequence[str] = DEFAULT_TITLES,
                 **kwargs) -> None:
        super().__init__(
            name=name, vis_backends=vis_backends, save_dir=save_dir, **kwargs)
        self.panel_width = panel_width
        self.titles = tuple(titles)

    @master_only
    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample: Optional[CrowdDataSample] = None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       draw_pred_points: bool = True,
                       show: bool = False,
                       wait_time: float = 0,
                       out_file: Optional[str] = None,
                       step: int = 0) -> None:
        """Draw one image with its density maps and counts, then output it.

        The drawing goes to ``out_file`` if given, otherwise to every vis
        backend (``add_image``); with ``show`` it is also displayed.

        Args:
            name (str): Image identifier (window name / backend key).
            image (np.ndarray): ``(H, W, 3)`` uint8 RGB image.
            data_sample (CrowdDataSample, optional): Its ``gt_density``,
                ``gt_count``, ``pred_density`` and ``pred_count``, where set,
                are drawn. Defaults to None (the image alone).
            draw_gt (bool): Draw the GT density and count. Defaults to True.
            draw_pred (bool): Draw the predicted density and count.
                Defaults to True.
            draw_pred_points (bool): With ``draw_pred``, mark the predicted
                head points too. Defaults to True.
            show (bool): Display the drawing. Defaults to False.
            wait_time (float): Seconds to wait when showing. Defaults to 0.
            out_file (str, optional): Path of the PNG (or other image file)
                to write, RGB converted to BGR for OpenCV. Defaults to None.
            step (int): Global step for the backends. Defaults to 0.
        """
        drawn = draw_data_sample(
            image, data_sample, draw_gt, draw_pred, draw_pred_points,
            titles=self.titles, panel_width=self.panel_width)
        self.set_image(drawn)

        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            if not mmcv.imwrite(drawn[..., ::-1], out_file):
                raise OSError(f'could not write the visualization to '
                              f'{out_file}')
        else:
            self.add_image(name, drawn, step)

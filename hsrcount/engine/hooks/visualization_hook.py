"""Draws validation and test predictions; ``--show-dir`` turns it on."""
import os
import os.path as osp
import warnings
from typing import Optional, Sequence

import cv2
import mmcv
from mmengine.fileio import get
from mmengine.hooks import Hook

from hsrcount.registry import HOOKS
from hsrcount.structures import CrowdDataSample


@HOOKS.register_module()
class CrowdVisualizationHook(Hook):
    """Draws image | GT density | prediction with the runner's visualizer.

    - Validation: when ``draw``, the first sample of every ``interval``-th
      batch goes to the visualizer's backends (as in mmseg's
      ``SegVisualizationHook``; crowd-counting validation usually runs one
      image per batch), or to ``<val_out_dir>/<image file stem>.png`` when
      ``val_out_dir`` is set (the paths are kept in :attr:`val_files`).
    - Test: when ``draw``, every image is drawn. With ``test_out_dir`` set,
      each goes to ``<test_out_dir>/<image file stem>.png``; a relative
      ``test_out_dir`` is taken under ``<work_dir>/<timestamp>/``.
      ``tools/test.py --show-dir DIR`` sets ``draw=True`` and
      ``test_out_dir`` to DIR made absolute. Without ``test_out_dir`` the
      test drawings go to the backends, like validation's. Images sharing a
      file name (from different folders) overwrite each other's picture.

    The image is read again from the metainfo ``img_path`` (RGB), so the
    picture shows the image as it is on disk.

    Args:
        draw (bool): Whether to draw at all. Defaults to False.
        interval (int): Validation batches between drawings. Defaults to 50.
        show (bool): Also display each drawing in a window.
            Defaults to False.
        wait_time (float): Seconds each shown drawing stays up.
            Defaults to 0.
        test_out_dir (str, optional): Directory of the test pictures.
            Defaults to None.
        val_out_dir (str, optional): Directory of the validation pictures;
            relative paths are taken under the work dir. Defaults to None
            (the backends).
        max_val_images (int, optional): Draw at most this many images per
            validation run. Defaults to None (no limit).
        draw_points (bool): Mark the predicted head points (``pred_points``)
            on the pictures (``tools/test.py --show-points``). Defaults to
            False.
        backend_args (dict, optional): File backend arguments used to read
            the images. Defaults to None.
    """

    priority = 'NORMAL'

    def __init__(self,
                 draw: bool = False,
                 interval: int = 50,
                 show: bool = False,
                 wait_time: float = 0.,
                 test_out_dir: Optional[str] = None,
                 val_out_dir: Optional[str] = None,
                 max_val_images: Optional[int] = None,
                 draw_points: bool = False,
                 backend_args: Optional[dict] = None) -> None:
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        self.draw = draw
        self.interval = interval
        self.show = show
        self.wait_time = wait_time
        self.test_out_dir = test_out_dir
        self.val_out_dir = val_out_dir
        self.max_val_images = max_val_images
        self.draw_points = draw_points
        self._val_drawn = 0
        self.backend_args = backend_args
        self.val_files = []
        self._test_index = 0
        if show and not draw:
            warnings.warn('CrowdVisualizationHook: show=True has no effect '
                          'while draw=False')

    def _read_rgb(self, img_path: str):
        """The image at ``img_path`` as ``(H, W, 3)`` uint8 RGB."""
        content = get(img_path, backend_args=self.backend_args)
        try:
            img = mmcv.imfrombytes(content, channel_order='rgb')
        except cv2.error:  # mmcv converts colours after a failed decode
            img = None
        if img is None:
            raise OSError(f'CrowdVisualizationHook: {img_path} is not an '
                          'image OpenCV can decode')
        return img

    def _draw(self, runner, sample: CrowdDataSample, name_prefix: str,
              step: int, out_file: Optional[str] = None) -> None:
        img_path = sample.img_path
        runner.visualizer.add_datasample(
            f'{name_prefix}_{osp.basename(img_path)}',
            self._read_rgb(img_path),
            data_sample=sample,
            show=self.show,
            wait_time=self.wait_time,
            out_file=out_file,
            step=step,
            draw_pred_points=self.draw_points)

    def before_val_epoch(self, runner) -> None:
        """Start a new list of validation pictures."""
        self.val_files = []
        self._val_drawn = 0

    def after_val_iter(self,
                       runner,
                       batch_idx: int,
                       data_batch=None,
                       outputs: Optional[Sequence[CrowdDataSample]] = None
                       ) -> None:
        """Draw the first sample of every ``interval``-th validation batch.

        Args:
            runner (Runner): The runner (``visualizer``, ``iter`` are used).
            batch_idx (int): Index of the batch in the validation loop.
            data_batch: The batch from the dataloader (unused).
            outputs (Sequence[CrowdDataSample]): The model's predictions.
        """
        if not self.draw or not outputs:
            return
        if not self.every_n_inner_iters(batch_idx, self.interval):
            return
        if self.max_val_images is not None and \
                self._val_drawn >= self.max_val_images:
            return
        self._val_drawn += 1
        out_file = None
        if self.val_out_dir is not None:
            out_dir = osp.join(runner.work_dir, self.val_out_dir)
            os.makedirs(out_dir, exist_ok=True)
            stem = osp.splitext(osp.basename(outputs[0].img_path))[0]
            out_file = osp.join(out_dir, f'{stem}.png')
            self.val_files.append(out_file)
        self._draw(runner, outputs[0], 'val', runner.iter, out_file)

    def after_test_iter(self,
                        runner,
                        batch_idx: int,
                        data_batch=None,
                        outputs: Optional[Sequence[CrowdDataSample]] = None
                        ) -> None:
        """Draw every sample of a test batch.

        Args:
            runner (Runner): The runner (``visualizer``, ``work_dir``,
                ``timestamp`` are used).
            batch_idx (int): Index of the batch in the test loop.
            data_batch: The batch from the dataloader (unused).
            outputs (Sequence[CrowdDataSample]): The model's predictions.
        """
        if not self.draw or not outputs:
            return
        out_dir = None
        if self.test_out_dir is not None:
            # osp.join keeps an absolute test_out_dir as it is.
            out_dir = osp.join(runner.work_dir, runner.timestamp,
                               self.test_out_dir)
            os.makedirs(out_dir, exist_ok=True)
        for sample in outputs:
            self._test_index += 1
            out_file = None
            if out_dir is not None:
                stem = osp.splitext(osp.basename(sample.img_path))[0]
                out_file = osp.join(out_dir, f'{stem}.png')
            self._draw(runner, sample, 'test', self._test_index, out_file)

"""Dataset wrappers."""
import copy

from mmengine.dataset import BaseDataset

from hsrcount.registry import DATASETS


@DATASETS.register_module()
class PatchRepeatDataset:
    """Show each image ``patches_per_image`` times per epoch.

    Sample ``i`` is image ``i // patches_per_image`` with ``patch_index =
    i % patches_per_image`` in its results, which :class:`PaperCrop` reads:
    indices 0 to 3 are the four quarters, the rest random crops. With the
    paper's 14 (4 quarters + 10 random patches) an epoch covers every
    image whole.

    Args:
        dataset (BaseDataset | dict): The dataset, or its config.
        patches_per_image (int): Samples per image. Defaults to 14.
    """

    def __init__(self, dataset, patches_per_image=14):
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
        if not isinstance(dataset, BaseDataset):
            raise TypeError(f'dataset must be a BaseDataset or its config, '
                            f'got {type(dataset).__name__}')
        if patches_per_image < 1:
            raise ValueError(f'patches_per_image must be >= 1, got '
                             f'{patches_per_image}')
        self.dataset = dataset
        self.patches_per_image = int(patches_per_image)

    @property
    def metainfo(self):
        return copy.deepcopy(self.dataset.metainfo)

    def full_init(self):
        self.dataset.full_init()

    def get_data_info(self, idx):
        """The data info of sample ``idx``, with its ``patch_index``."""
        image, patch = divmod(idx, self.patches_per_image)
        info = self.dataset.get_data_info(image)
        info['patch_index'] = patch
        return info

    def __len__(self):
        return len(self.dataset) * self.patches_per_image

    def __getitem__(self, idx):
        if not 0 <= idx < len(self):
            raise IndexError(f'index {idx} out of range for {len(self)} '
                             f'samples')
        return self.dataset.pipeline(self.get_data_info(idx))

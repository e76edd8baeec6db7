import os
import os.path as osp
import shutil
import sys
from setuptools import find_packages, setup

#: What the installed package carries besides its code, so that the
#: ``hsrcount`` command can run the tools and name the configs outside a
#: checkout (OpenMMLab packages do the same with ``.mim``).
MIM_FOLDERS = ('configs', 'tools')
MIM_ROOT = osp.join('hsrcount', '.mim')


def read_requirements(path):
    with open(path) as f:
        return [line.strip() for line in f
                if line.strip() and not line.startswith('#')]


def read_version():
    namespace = {}
    with open('hsrcount/version.py') as f:
        exec(f.read(), namespace)
    return namespace['__version__']


def copy_mim_folders():
    """Copy configs/ and tools/ into hsrcount/.mim for a wheel or sdist.

    An editable install needs no copy: the ``hsrcount`` command finds the
    checkout's own folders.
    """
    if not {'bdist_wheel', 'sdist', 'build', 'install'} & set(sys.argv):
        return
    shutil.rmtree(MIM_ROOT, ignore_errors=True)
    for name in MIM_FOLDERS:
        shutil.copytree(name, osp.join(MIM_ROOT, name),
                        ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))


def mim_package_data():
    files = []
    for name in MIM_FOLDERS:
        for root, _, names in os.walk(osp.join(MIM_ROOT, name)):
            files += [osp.relpath(osp.join(root, n), 'hsrcount')
                      for n in names]
    return files


copy_mim_folders()
setup(
    name='hsrcount',
    version=read_version(),
    description='Crowd counting toolbox around HSRNet (Hierarchical Scale '
    'Recalibration Network), built on MMEngine',
    packages=find_packages(
        exclude=('configs', 'tools', 'tests', 'tests.*', 'docs', 'projects',
                 'projects.*')),
    package_data={'hsrcount': mim_package_data()},
    entry_points={'console_scripts': ['hsrcount=hsrcount.cli:main']},
    license='Apache-2.0',
    python_requires='>=3.9',
    install_requires=read_requirements('requirements/runtime.txt'),
    extras_require={
        'tests': read_requirements('requirements/tests.txt'),
        'lint': read_requirements('requirements/lint.txt'),
        'deploy': read_requirements('requirements/deploy.txt'),
        'demo': read_requirements('requirements/demo.txt'),
        'tensorboard': read_requirements('requirements/tensorboard.txt'),
    },
)

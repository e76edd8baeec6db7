from setuptools import find_packages, setup


def read_requirements(path):
    with open(path) as f:
        return [line.strip() for line in f
                if line.strip() and not line.startswith('#')]


def read_version():
    namespace = {}
    with open('hsrcount/version.py') as f:
        exec(f.read(), namespace)
    return namespace['__version__']


setup(
    name='hsrcount',
    version=read_version(),
    description='Crowd counting toolbox around HSRNet (Hierarchical Scale '
    'Recalibration Network), built on MMEngine',
    packages=find_packages(
        exclude=('configs', 'tools', 'tests', 'tests.*', 'docs', 'projects',
                 'projects.*')),
    license='Apache-2.0',
    python_requires='>=3.9',
    install_requires=read_requirements('requirements/runtime.txt'),
    extras_require={
        'tests': read_requirements('requirements/tests.txt'),
        'lint': read_requirements('requirements/lint.txt'),
        'deploy': read_requirements('requirements/deploy.txt'),
    },
)

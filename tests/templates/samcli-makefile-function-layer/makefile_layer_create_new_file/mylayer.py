import six


def get_six_version():
    return six.__version__

# Provides the targets fvs::torch and (CUDA builds) fvs::cudart.
# CPU builds link only libtorch_cpu + libc10 from the project's .venv torch wheel, so no CUDA
# libraries are needed at run time. CUDA builds (FVS_WITH_CUDA) either use the wheel's own
# TorchConfig with an installed CUDA toolkit (preset `cuda`), or, with FVS_CUDA_FROM_WHEEL (preset
# `gpu`), need no toolkit at all: our code has no .cu files, so the host compiler builds against the
# wheel's libtorch_cuda and the CUDA runtime headers and libraries of its nvidia-* wheels.
set(FVS_PYTHON "${CMAKE_SOURCE_DIR}/.venv/bin/python" CACHE FILEPATH "Python whose torch provides LibTorch")
if(NOT EXISTS "${FVS_PYTHON}")
  find_program(FVS_PYTHON_FALLBACK python3 REQUIRED)
  set(FVS_PYTHON "${FVS_PYTHON_FALLBACK}" CACHE FILEPATH "" FORCE)
endif()
execute_process(
  COMMAND "${FVS_PYTHON}" -c "import os, torch; print(os.path.dirname(torch.__file__)); print(torch.__version__)"
  OUTPUT_VARIABLE _fvs_torch_out RESULT_VARIABLE _fvs_torch_rc OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT _fvs_torch_rc EQUAL 0)
  message(FATAL_ERROR "torch is not importable by ${FVS_PYTHON}; run packaging/setup-deps.sh")
endif()
string(REPLACE "\n" ";" _fvs_torch_out "${_fvs_torch_out}")
list(GET _fvs_torch_out 0 FVS_TORCH_DIR)
list(GET _fvs_torch_out 1 FVS_TORCH_VERSION)
message(STATUS "LibTorch ${FVS_TORCH_VERSION} from ${FVS_TORCH_DIR}")

if(FVS_WITH_CUDA AND FVS_CUDA_FROM_WHEEL)
  file(GLOB _fvs_nv_dirs "${FVS_TORCH_DIR}/../nvidia/cu[0-9]*")
  list(LENGTH _fvs_nv_dirs _fvs_nv_count)
  if(NOT _fvs_nv_count EQUAL 1 OR NOT EXISTS "${FVS_TORCH_DIR}/lib/libtorch_cuda.so")
    message(FATAL_ERROR "FVS_CUDA_FROM_WHEEL needs the CUDA torch wheel (libtorch_cuda.so and one "
                        "nvidia/cuNN folder beside torch); found: ${_fvs_nv_dirs}")
  endif()
  get_filename_component(FVS_CUDA_WHEEL_DIR "${_fvs_nv_dirs}" REALPATH)
  file(GLOB FVS_CUDART_LIBRARY "${FVS_CUDA_WHEEL_DIR}/lib/libcudart.so.[0-9]*")
  message(STATUS "CUDA runtime from the wheel: ${FVS_CUDA_WHEEL_DIR}")
  add_library(fvs_cudart INTERFACE)
  target_include_directories(fvs_cudart SYSTEM INTERFACE "${FVS_CUDA_WHEEL_DIR}/include")
  target_link_libraries(fvs_cudart INTERFACE "${FVS_CUDART_LIBRARY}")
  target_link_options(fvs_cudart INTERFACE "-Wl,-rpath,${FVS_CUDA_WHEEL_DIR}/lib")
  add_library(fvs_torch INTERFACE)
  target_include_directories(fvs_torch SYSTEM INTERFACE
    "${FVS_TORCH_DIR}/include" "${FVS_TORCH_DIR}/include/torch/csrc/api/include")
  # libtorch_cuda registers the CUDA backend when loaded: keep it even though no symbol of it is used.
  target_link_libraries(fvs_torch INTERFACE
    "-Wl,--no-as-needed" "${FVS_TORCH_DIR}/lib/libtorch_cuda.so" "${FVS_TORCH_DIR}/lib/libc10_cuda.so"
    "-Wl,--as-needed" "${FVS_TORCH_DIR}/lib/libtorch_cpu.so" "${FVS_TORCH_DIR}/lib/libc10.so" fvs_cudart)
  target_link_options(fvs_torch INTERFACE "-Wl,-rpath,${FVS_TORCH_DIR}/lib"
    "-Wl,-rpath-link,${FVS_TORCH_DIR}/lib" "-Wl,-rpath-link,${FVS_CUDA_WHEEL_DIR}/lib")
  target_compile_definitions(fvs_torch INTERFACE _GLIBCXX_USE_CXX11_ABI=1 FVS_HAVE_CUDA=1)
  add_library(fvs::cudart ALIAS fvs_cudart)
elseif(FVS_WITH_CUDA)
  list(APPEND CMAKE_PREFIX_PATH "${FVS_TORCH_DIR}/share/cmake")
  find_package(Torch REQUIRED)
  find_package(CUDAToolkit REQUIRED)
  add_library(fvs_torch INTERFACE)
  target_link_libraries(fvs_torch INTERFACE ${TORCH_LIBRARIES} CUDA::cudart)
  target_include_directories(fvs_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
  target_compile_definitions(fvs_torch INTERFACE FVS_HAVE_CUDA=1)
  add_library(fvs::cudart ALIAS CUDA::cudart)
else()
  add_library(fvs_torch INTERFACE)
  target_include_directories(fvs_torch SYSTEM INTERFACE
    "${FVS_TORCH_DIR}/include" "${FVS_TORCH_DIR}/include/torch/csrc/api/include")
  target_link_libraries(fvs_torch INTERFACE
    "${FVS_TORCH_DIR}/lib/libtorch_cpu.so" "${FVS_TORCH_DIR}/lib/libc10.so")
  target_link_options(fvs_torch INTERFACE "-Wl,-rpath,${FVS_TORCH_DIR}/lib")
  target_compile_definitions(fvs_torch INTERFACE _GLIBCXX_USE_CXX11_ABI=1)
endif()
add_library(fvs::torch ALIAS fvs_torch)
